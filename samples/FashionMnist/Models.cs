namespace FashionMnist;

/// <summary>Which network the sample trains.</summary>
public enum Model
{
    /// <summary><see cref="FashionMlp"/>.</summary>
    Mlp,
    /// <summary><see cref="FashionCnn"/>.</summary>
    Cnn,
}

/// <summary>Where each model's weights go (EmbeddedInference loads them by the same name).</summary>
public static class Models
{
    /// <summary>The weights file of <paramref name="model"/> in the output folder.</summary>
    public static string WeightsFileName(Model model) => model == Model.Cnn ? "fashion-mnist-cnn.snw" : "fashion-mnist.snw";
}
