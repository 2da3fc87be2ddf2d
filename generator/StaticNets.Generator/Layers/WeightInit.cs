using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>An op that normalizes (BatchNorm, LayerNorm, ...): the layer before it looks through it for its nonlinearity.</summary>
internal interface INormalizationOp;

/// <summary>The weight initialization of layers with weights (Dense, Conv2D): argument checks and the default's choice.</summary>
internal static class WeightInit
{
    /// <summary>Checks Init, InitScale and BiasInit as a layer attribute gives them.</summary>
    public static void Check(LayerSpec layer, LayerReader reader, Init init, double scale, bool bias, double biasInit)
    {
        if (!System.Enum.IsDefined(typeof(Init), init))
        {
            reader.Invalid(layer, "Init", (int)init, "use a member of StaticNets.Init");
            return;
        }
        bool scaleSet = !double.IsNaN(scale);
        switch (init)
        {
            case Init.Constant when !LayerReader.IsFinite(scale):
                reader.Invalid(layer, "InitScale", scale, "Init.Constant needs InitScale set to the (finite) value");
                break;
            case Init.Normal or Init.Uniform when !(LayerReader.IsFinite(scale) && scale > 0):
                reader.Invalid(layer, "InitScale", scale, $"Init.{init} needs InitScale set to a positive {(init == Init.Normal ? "standard deviation" : "bound")}");
                break;
            case Init.Orthogonal when scaleSet && !(LayerReader.IsFinite(scale) && scale > 0):
                reader.Invalid(layer, "InitScale", scale, "the orthogonal gain must be positive");
                break;
            case not (Init.Constant or Init.Normal or Init.Uniform or Init.Orthogonal) when scaleSet:
                reader.Invalid(layer, "InitScale", scale, $"Init.{init} takes no scale; remove InitScale or pick Init.Normal/Uniform/Constant/Orthogonal");
                break;
        }
        if (!LayerReader.IsFinite(biasInit))
            reader.Invalid(layer, "BiasInit", biasInit, "the initial bias must be finite");
        if (!bias && biasInit != 0)
            reader.Invalid(layer, "BiasInit", biasInit, "the layer has Bias = false, so BiasInit does not apply");
    }

    /// <summary>
    /// The nonlinearity a layer's output meets, through a normalization between them: it decides the default
    /// initializer (a PReLU counts as a LeakyReLU with its initial slope).
    /// </summary>
    public static ActivationPlan Effective(OpPlan op, PlanContext context)
    {
        ActivationPlan own = op.Activation;
        if (!own.IsIdentity) return own;
        OpPlan? next = context.Next(op);
        if (next is INormalizationOp)
        {
            own = next.Activation;
            next = context.Next(next);
            if (!own.IsIdentity) return own;
        }
        return next is PReLUOp prelu ? new ActivationPlan(ActivationKind.LeakyReLU, prelu.InitialSlope, 1) : own;
    }

    /// <summary>The defaults of He et al. (2015) for rectifiers, LeCun for SELU, Glorot otherwise.</summary>
    public static Init Resolve(Init init, ActivationKind activation) => init != Init.Default ? init : activation switch
    {
        ActivationKind.ReLU or ActivationKind.LeakyReLU or ActivationKind.ELU or ActivationKind.GeluErf or ActivationKind.GeluTanh
            or ActivationKind.Swish or ActivationKind.Softplus or ActivationKind.Maxout => Init.HeNormal,
        ActivationKind.SELU => Init.LeCunNormal,
        _ => Init.XavierUniform,
    };

    /// <summary>
    /// The planning a layer with weights shares (Dense, Conv2D): its weights, then its bias, in the parameter block; the
    /// initializer the nonlinearity after it calls for; whether a BatchNorm after it folds into it, and so whether its
    /// bias is cancelled in training (reported as SN0018, <paramref name="attribute"/> naming the layer).
    /// </summary>
    public static WeightPlan Plan(OpPlan op, PlanContext context, long weightCount, int biasCount, bool hasBias, Init init, string attribute)
    {
        int weights = context.TakeParameters(weightCount);
        int bias = hasBias ? context.TakeParameters(biasCount) : -1;
        ActivationPlan effective = Effective(op, context);
        bool folded = BatchNormOp.Folds(op, context);
        if (hasBias && folded)
            context.Report(DiagnosticInfo.Create(Diagnostics.DiagnosticDescriptors.BiasBeforeBatchNorm, op.Location, attribute));
        return new WeightPlan(weights, bias, Resolve(init, effective.Kind), effective.Kind == ActivationKind.LeakyReLU ? effective.Value : 0f, folded, hasBias && folded);
    }

    /// <summary>
    /// The constructor lines initializing a layer's weights (`Initializers.Fill(view, new([shape]), init, scale, rng,
    /// slope)`) and its bias (filled when <paramref name="biasInit"/> is not 0; <paramref name="biasView"/> null for none).
    /// </summary>
    public static void Initialize(Emitting.CodeWriter w, string view, string shape, Init init, float scale, float negativeSlope, string? biasView, float biasInit, string rng)
    {
        w.Wrapped("global::StaticNets.Initializers.Fill",
            [view, $"new global::StaticNets.ParameterShape([{shape}])", $"global::StaticNets.Init.{init}", Format.FloatLiteral(scale), rng, Format.FloatLiteral(negativeSlope)]);
        if (biasView is not null && biasInit != 0f) w.Line($"{biasView}.Fill({Format.FloatLiteral(biasInit)});");
    }

    /// <summary>
    /// The parameter-gradient kernel call of a layer with weights (<paramref name="call"/> gets the bias gradient span,
    /// "default" for none), then, for a bias a BatchNorm cancels (<see cref="Plan"/>), its exact 0.
    /// </summary>
    public static void EmitParameterGradients(Emitting.EmitContext c, TensorPlan? bias, bool biasCancelled, System.Action<string> call)
    {
        call(bias is not null && !biasCancelled ? c.Gradient(bias) : "default");
        if (biasCancelled)
            c.Line($"{c.Gradient(bias!)}.Clear(); // the BatchNorm after it subtracts the bias again: its gradient is exactly 0");
    }
}

/// <summary>What <see cref="WeightInit.Plan"/> decided for a layer with weights.</summary>
internal readonly record struct WeightPlan(int WeightOffset, int BiasOffset, Init Init, float NegativeSlope, bool Folded, bool BiasCancelled);
