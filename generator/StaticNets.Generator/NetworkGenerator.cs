using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Parsing;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator;

/// <summary>
/// The pipeline: find [Network] classes, parse them into value-equatable specs, plan (validate, lay
/// out), emit. Each stage is named so tests can check that an unrelated edit leaves it cached.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline stages.</summary>
    public static class Steps
    {
        /// <summary>Attribute values read into a spec.</summary>
        public const string Parse = nameof(Parse);
        /// <summary>Validated plan with layout.</summary>
        public const string Plan = nameof(Plan);
        /// <summary>Classes with layer attributes and no [Network].</summary>
        public const string LayersWithoutNetwork = nameof(LayersWithoutNetwork);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<PlanResult> plans = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "StaticNets.NetworkAttribute",
                static (node, _) => node is TypeDeclarationSyntax,
                static (ctx, ct) => Guarded(ctx.TargetSymbol.Name, LocationInfo.From(ctx.TargetNode.GetLocation()), () => NetworkParser.Parse(ctx, ct)))
            .WithTrackingName(Steps.Parse)
            .Select(static (parsed, _) => parsed.Spec is null
                ? new PlanResult(null, parsed.Diagnostics)
                : GuardedPlan(parsed))
            .WithTrackingName(Steps.Plan);

        IncrementalValuesProvider<DiagnosticInfo?> withoutNetwork = context.SyntaxProvider
            .CreateSyntaxProvider(Parsing.LayersWithoutNetwork.MayHaveLayers, static (ctx, ct) => Parsing.LayersWithoutNetwork.Check(ctx, ct))
            .Where(static d => d is not null)
            .WithTrackingName(Steps.LayersWithoutNetwork);
        context.RegisterSourceOutput(withoutNetwork, static (spc, diagnostic) => spc.ReportDiagnostic(DiagnosticDescriptors.ToDiagnostic(diagnostic!)));

        context.RegisterSourceOutput(plans, static (spc, result) =>
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
                spc.ReportDiagnostic(DiagnosticDescriptors.ToDiagnostic(diagnostic));
            if (result.Plan is not { } plan)
                return;
            string source;
            List<DiagnosticInfo> clashes;
            try
            {
                source = NetworkEmitter.Emit(plan);
                clashes = MemberClashes.Find(plan, source);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, plan.Location?.ToLocation() ?? Location.None, plan.ClassName, e.GetType().Name + ": " + e.Message.TrimEnd('.')));
                return;
            }
            // A clash would be a compiler error inside the generated file: report it at the user's member instead.
            foreach (DiagnosticInfo clash in clashes)
                spc.ReportDiagnostic(DiagnosticDescriptors.ToDiagnostic(clash));
            if (clashes.Count == 0)
                spc.AddSource(NetworkEmitter.HintName(plan), SourceText.From(source, System.Text.Encoding.UTF8));
        });
    }

    private static PlanResult GuardedPlan(ParseResult parsed)
    {
        try
        {
            return NetworkPlanner.Plan(parsed);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new PlanResult(null, new[] { InternalError(parsed.Spec!.ClassName, parsed.Spec.Location, e) }.ToEquatableArray());
        }
    }

    // The generator never throws into the compiler: an internal failure becomes SN9999 at the class.
    private static ParseResult Guarded(string className, LocationInfo? location, Func<ParseResult> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new ParseResult(null, new[] { InternalError(className, location, e) }.ToEquatableArray());
        }
    }

    internal static ParseResult GuardedForTests(string className, LocationInfo? location, Func<ParseResult> parse) =>
        Guarded(className, location, parse);

    private static DiagnosticInfo InternalError(string className, LocationInfo? location, Exception e) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, location, className, e.GetType().Name + ": " + e.Message.TrimEnd('.'));
}
