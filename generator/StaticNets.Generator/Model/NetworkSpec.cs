using System;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Model;

/// <summary>
/// One layer attribute as written: its kind (the attribute's name without "Attribute"), the attribute itself rebuilt
/// from its arguments (the runtime's own class, linked into the generator, so every default is the runtime's), and
/// where it stands. Attributes compare by their fields, so specs compare by value.
/// </summary>
internal sealed record LayerSpec(string Kind, Attribute Attribute, LocationInfo? Location)
{
    /// <summary>The attribute as its own type.</summary>
    public T As<T>() where T : Attribute => (T)Attribute;
}

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
    Loss Loss,
    EquatableArray<LayerSpec> Layers,
    EquatableArray<MemberSignature> Members,
    LocationInfo? Location);

/// <summary>What the parse stage hands on: a spec when the class could be read, and diagnostics.</summary>
internal sealed record ParseResult(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
