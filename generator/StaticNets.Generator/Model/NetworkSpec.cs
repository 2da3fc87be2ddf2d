namespace StaticNets.Generator.Model;

/// <summary>Layer kinds, in the names users write (without "Attribute").</summary>
internal enum LayerKind
{
    Input, Dense, ReLU, LeakyReLU, ELU, SELU, Sigmoid, Tanh, GELU, Swish, Softplus, Maxout, Softmax,
    BatchNorm, LayerNorm, Dropout, PReLU, SaveAs, Add,
}

/// <summary>Mirrors StaticNets.Loss (same values); the generator cannot reference the runtime.</summary>
internal enum LossKind { None = 0, MeanSquaredError = 1, SoftmaxCrossEntropy = 2, SigmoidBinaryCrossEntropy = 3 }

/// <summary>Mirrors StaticNets.Init (same values).</summary>
internal enum InitKind
{
    Default = 0, Zeros, Constant, Normal, Uniform, XavierNormal, XavierUniform, LeCunNormal, LeCunUniform, HeNormal, HeUniform, Orthogonal,
}

/// <summary>
/// One layer attribute as written. <see cref="Size"/> is Input's size, Dense's units or Maxout's
/// pieces; <see cref="Value"/> is LeakyReLU/ELU's alpha, Swish/Softplus's beta, BatchNorm's momentum,
/// Dropout's rate or PReLU's initial slope; <see cref="Epsilon"/> is a normalization's ε;
/// <see cref="Flag"/> is GELU's Approximate; <see cref="Name"/> is SaveAs/Add's name. The Dense-only
/// members keep their defaults on other kinds.
/// </summary>
internal sealed record LayerSpec(
    LayerKind Kind,
    int Size,
    float Value,
    float Epsilon,
    string? Name,
    bool Flag,
    InitKind Init,
    float InitScale,
    bool Bias,
    float BiasInit,
    LocationInfo? Location);

/// <summary>A type that contains the network class; the generated partial must repeat it (<see cref="Name"/> as written in code, keywords escaped).</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>
/// A member the network class has before the generator adds its own: declared by the user, or inherited.
/// <see cref="Parameters"/> lists a method's or constructor's parameter types (with ref kinds), null for other members;
/// a constructor is named ".ctor"; <see cref="InheritedFrom"/> names the base class it comes from.
/// </summary>
internal sealed record MemberSignature(string Name, string? Parameters, string Description, string? InheritedFrom, LocationInfo? Location);

/// <summary>Everything the generator knows of one [Network] class, with no symbols or syntax.</summary>
/// <param name="Namespace">As written in code (keywords escaped), null for the global namespace.</param>
/// <param name="ClassName">The class's name as in messages, without '@'.</param>
internal sealed record NetworkSpec(
    string? Namespace,
    string ClassName,
    EquatableArray<ContainingType> ContainingTypes,
    LossKind Loss,
    EquatableArray<LayerSpec> Layers,
    EquatableArray<MemberSignature> Members,
    LocationInfo? Location);

/// <summary>What the parse stage hands on: a spec when the class could be read, and diagnostics.</summary>
internal sealed record ParseResult(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
