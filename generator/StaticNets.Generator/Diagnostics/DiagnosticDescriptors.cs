using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace StaticNets.Generator.Diagnostics;

/// <summary>Every diagnostic the generator reports. Ids are stable; list new ones in AnalyzerReleases.Unshipped.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "StaticNets";

    public static readonly DiagnosticDescriptor MissingInput = new(
        "SN0001", "Network has no [Input]",
        "Network '{0}' has no [Input(size)]: add one as the first layer attribute to say how many features a sample has",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NonPositiveSize = new(
        "SN0002", "Layer size out of range",
        "[{0}] has {1} {2}; it must be at least {3}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ClassNotPartial = new(
        "SN0003", "Network class is not partial",
        "Network class '{0}' must be declared 'partial' so the generator can add its members",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = new(
        "SN0004", "Type containing a network is not partial",
        "'{0}' contains network class '{1}' and must be declared 'partial' too",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor LossDoesNotFitOutput = new(
        "SN0005", "Loss does not fit the output layer",
        "Loss.{0} does not fit this network's output: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor LayerOutOfPlace = new(
        "SN0006", "Layer out of place",
        "[{0}] cannot stand here: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidArgument = new(
        "SN0007", "Invalid layer argument",
        "[{0}] has {1} = {2}; {3}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NoLayers = new(
        "SN0008", "Network has no layers",
        "Network '{0}' has only an [Input]; add at least one [Dense(units)] after it",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor LayersSplitAcrossDeclarations = new(
        "SN0009", "Layer attributes on another partial declaration",
        "[{0}] is on a different partial declaration of '{1}' than [Network]; put all layer attributes on the declaration with [Network] so their order is defined",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NetworkTooLarge = new(
        "SN0010", "Network too large",
        "Network '{0}' needs {1} {2}; at most {3} are supported",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor GenericNetwork = new(
        "SN0011", "Generic network class",
        "Network class '{0}' cannot be generic: {1}; a network's sizes are fixed at compile time, so declare it as a non-generic class outside generic types",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnknownSkipName = new(
        "SN0012", "Skip connection to an unknown name",
        "[Add(\"{0}\")] refers to no earlier [SaveAs(\"{0}\")]; names saved above it: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor SkipShapeMismatch = new(
        "SN0013", "Skip connection shape mismatch",
        "[Add(\"{0}\")] adds an output of {1} to one of {2}; a skip connection joins outputs of the same shape ({3})",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateSkipName = new(
        "SN0014", "Skip connection name saved twice",
        "[SaveAs(\"{0}\")] uses a name saved above it already; give each saved output its own name",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotAPlainClass = new(
        "SN0015", "Network type is not a plain class",
        "Network '{0}' is {1}; a network must be a non-static, non-abstract class such as 'public partial class {0}'",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MemberClash = new(
        "SN0016", "Member clashes with a generated member",
        "Network '{0}' {1} {2}, which the generator also writes for a network; rename it",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor LayersWithoutNetwork = new(
        "SN0017", "Layer attributes without [Network]",
        "'{0}' has layer attributes such as [{1}] but no [Network], so no network is generated for it; add [Network] (with a Loss to train it)",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BiasBeforeBatchNorm = new(
        "SN0018", "Bias has no effect before BatchNorm",
        "[{0}] is directly followed by [BatchNorm], which subtracts the batch mean: its bias cannot change the output in training and its gradient is 0; declare it with Bias = false",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DoesNotFitInput = new(
        "SN0019", "Layer does not fit its input",
        "[{0}] cannot apply to its input of {1}: {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InternalError = new(
        "SN9999", "StaticNets generator failed",
        "The StaticNets generator failed on '{0}': {1}. Please report this with the network's attributes.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly Dictionary<string, DiagnosticDescriptor> ById = new[]
    {
        MissingInput, NonPositiveSize, ClassNotPartial, ContainingTypeNotPartial, LossDoesNotFitOutput, LayerOutOfPlace,
        InvalidArgument, NoLayers, LayersSplitAcrossDeclarations, NetworkTooLarge, GenericNetwork, UnknownSkipName, SkipShapeMismatch,
        DuplicateSkipName, NotAPlainClass, MemberClash, LayersWithoutNetwork, BiasBeforeBatchNorm, DoesNotFitInput, InternalError,
    }.ToDictionary(d => d.Id);

    public static Diagnostic ToDiagnostic(Model.DiagnosticInfo info) =>
        Diagnostic.Create(ById[info.Id], info.Location?.ToLocation() ?? Location.None, info.Arguments.Items.Cast<object>().ToArray());
}
