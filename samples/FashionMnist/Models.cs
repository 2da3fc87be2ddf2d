namespace FashionMnist;

/// <summary>Which network the sample trains.</summary>
public enum Model
{
    /// <summary><see cref="FashionMlp"/>.</summary>
    Mlp,
    /// <summary><see cref="FashionCnn"/>.</summary>
    Cnn,
    /// <summary><see cref="FashionMlpHeads"/>: the MLP's trunk with five heads.</summary>
    Heads,
}

/// <summary>Where each model's weights go (EmbeddedInference loads them by the same name).</summary>
public static class Models
{
    /// <summary>The model quantized to int8 (QuantizedNetwork's safetensors file), in the output folder.</summary>
    public static string Int8FileName(Model model) => model == Model.Cnn ? "fashion-mnist-cnn.int8.safetensors" : "fashion-mnist.int8.safetensors";

    /// <summary>The weights file of <paramref name="model"/> in the output folder.</summary>
    public static string WeightsFileName(Model model) => model switch
    {
        Model.Cnn => "fashion-mnist-cnn.snw",
        Model.Heads => "fashion-mnist-heads.snw",
        _ => "fashion-mnist.snw",
    };
}
