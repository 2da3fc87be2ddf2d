using System.Collections.Generic;
using StaticNets.Generator.Model;

namespace StaticNets.Generator.Planning;

/// <summary>One op while layers are read: its attribute, its input width, the activation after it.</summary>
internal sealed class OpBuilder(LayerSpec layer, int inputWidth, int source = -1)
{
    public LayerSpec Layer { get; } = layer;
    public int InputWidth { get; } = inputWidth;

    /// <summary>For [Add]: the op whose output it adds (0: the network input).</summary>
    public int Source { get; } = source;

    public LayerSpec? ActivationLayer { get; set; }

    /// <summary>Set once an activation or PReLU follows this op.</summary>
    public bool ActivationSlotUsed { get; set; }

    public bool AcceptsActivation => Layer.Kind is LayerKind.Dense or LayerKind.BatchNorm or LayerKind.LayerNorm or LayerKind.Add;

    public int Width => Layer.Kind == LayerKind.Dense ? Layer.Size : InputWidth;

    public string Token() => Layer.Kind switch
    {
        LayerKind.Dense => Layer.Bias ? $"Dense({Layer.Size})" : $"Dense({Layer.Size},bias=false)",
        LayerKind.BatchNorm => $"BatchNorm(eps={Format.Float(Layer.Epsilon)},momentum={Format.Float(Layer.Value)})",
        LayerKind.LayerNorm => $"LayerNorm(eps={Format.Float(Layer.Epsilon)})",
        LayerKind.Dropout => $"Dropout({Format.Float(Layer.Value)})",
        LayerKind.Add => $"Add({Layer.Name})",
        _ => Layer.Kind.ToString(),
    };

    /// <summary>How a layer's attribute reads in a message: "Dense(256)".</summary>
    public static string AttributeText(LayerSpec layer) => layer.Kind == LayerKind.Dense ? $"Dense({layer.Size})" : layer.Kind.ToString();

    public static string ActivationToken(LayerSpec a) => a.Kind switch
    {
        LayerKind.LeakyReLU or LayerKind.ELU or LayerKind.Swish or LayerKind.Softplus => $"{a.Kind}({Format.Float(a.Value)})",
        LayerKind.GELU => a.Flag ? "GELU(tanh)" : "GELU",
        LayerKind.Maxout => $"Maxout({a.Size})",
        _ => a.Kind.ToString(),
    };

    public ActivationPlan Activation()
    {
        LayerSpec? a = ActivationLayer;
        if (a is null) return ActivationPlan.Identity;
        ActivationKind kind = a.Kind switch
        {
            LayerKind.GELU => a.Flag ? ActivationKind.GeluTanh : ActivationKind.GeluErf,
            LayerKind kindName => (ActivationKind)System.Enum.Parse(typeof(ActivationKind), kindName.ToString()),
        };
        return new ActivationPlan(kind, float.IsNaN(a.Value) ? 0f : a.Value, kind == ActivationKind.Maxout ? a.Size : 1);
    }

    public OpPlan Build(int index, List<OpBuilder> all, HashSet<int> savedSources, NetworkPlanner.Layout layout)
    {
        int n = InputWidth;
        int number = 1;
        for (int i = 0; i < index - 1; i++)
            if (all[i].Layer.Kind == Layer.Kind) number++;
        switch (Layer.Kind)
        {
            case LayerKind.Dense:
            {
                ActivationPlan activation = Activation();
                int rows = Layer.Size * activation.Pieces;
                int weights = layout.TakeParameters((long)rows * n);
                int bias = Layer.Bias ? layout.TakeParameters(rows) : -1;
                ActivationPlan effective = EffectiveActivation(index, all);
                float slope = effective.Kind == ActivationKind.LeakyReLU ? effective.Value : 0f;
                bool batchNormNext = BatchNormFoldsInto(index, all, savedSources);
                int packed = -1, copy = -1;
                if (DenseShapes.PacksForInference(rows))
                    packed = layout.TakeInference(DenseShapes.PackedCount(n, rows));
                else if (!batchNormNext)
                    copy = layout.TakeInference((long)rows * n + (Layer.Bias ? rows : 0));
                return new DenseOp(index, n, Layer.Size, number, activation, Layer.Bias, weights, bias,
                    ResolveInit(Layer.Init, effective.Kind), Layer.InitScale, Layer.BiasInit, slope, packed, copy, Layer.Bias && batchNormNext);
            }
            case LayerKind.BatchNorm:
            {
                int gamma = layout.TakeParameters(n), beta = layout.TakeParameters(n);
                int mean = layout.TakeState(n), variance = layout.TakeState(n);
                bool folds = index >= 2 && BatchNormFoldsInto(index - 1, all, savedSources);
                bool intoUnpacked = folds && !DenseShapes.PacksForInference(n);
                int folded = layout.TakeInference(intoUnpacked ? (long)n * all[index - 2].InputWidth + n : 2L * n);
                return new BatchNormOp(index, n, number, Activation(), gamma, beta, mean, variance, Layer.Value, Layer.Epsilon, folds, folded);
            }
            case LayerKind.LayerNorm:
            {
                int gamma = layout.TakeParameters(n), beta = layout.TakeParameters(n);
                return new LayerNormOp(index, n, number, Activation(), gamma, beta, Layer.Epsilon, layout.TakeInference(2L * n));
            }
            case LayerKind.PReLU:
                return new PReLUOp(index, n, number, layout.TakeParameters(n), Layer.Value, layout.TakeInference(n));
            case LayerKind.Dropout:
                return new DropoutOp(index, n, number, Layer.Value);
            case LayerKind.Add:
                return new AddOp(index, n, Source, Layer.Name!, Activation());
            default:
                throw new System.InvalidOperationException("not an op: " + Layer.Kind);
        }
    }

    // Whether a BatchNorm right after op `index` (a Dense) folds into it at inference. Folding skips the Dense's own
    // output, so only when nothing reads it: no activation of its own, and no [SaveAs] of it.
    private static bool BatchNormFoldsInto(int index, List<OpBuilder> all, HashSet<int> savedSources) =>
        all[index - 1] is { Layer.Kind: LayerKind.Dense, ActivationLayer: null }
        && index < all.Count && all[index].Layer.Kind == LayerKind.BatchNorm
        && !savedSources.Contains(index);

    // The nonlinearity a Dense's output meets, through a normalization between them: it decides the
    // default initializer (a PReLU counts as a LeakyReLU with its initial slope).
    private ActivationPlan EffectiveActivation(int index, List<OpBuilder> all)
    {
        ActivationPlan own = Activation();
        if (!own.IsIdentity) return own;
        OpBuilder? next = index < all.Count ? all[index] : null;
        if (next is { Layer.Kind: LayerKind.BatchNorm or LayerKind.LayerNorm })
        {
            own = next.Activation();
            next = index + 1 < all.Count ? all[index + 1] : null;
            if (!own.IsIdentity) return own;
        }
        return next is { Layer.Kind: LayerKind.PReLU } ? new ActivationPlan(ActivationKind.LeakyReLU, next.Layer.Value, 1) : own;
    }

    // The defaults of He et al. (2015) for rectifiers, LeCun for SELU, Glorot otherwise.
    private static InitKind ResolveInit(InitKind init, ActivationKind activation) => init != InitKind.Default ? init : activation switch
    {
        ActivationKind.ReLU or ActivationKind.LeakyReLU or ActivationKind.ELU or ActivationKind.GeluErf or ActivationKind.GeluTanh
            or ActivationKind.Swish or ActivationKind.Softplus or ActivationKind.Maxout => InitKind.HeNormal,
        ActivationKind.SELU => InitKind.LeCunNormal,
        _ => InitKind.XavierUniform,
    };
}
