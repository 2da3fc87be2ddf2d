using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Model;

namespace StaticNets.Generator.Parsing;

/// <summary>
/// Reads a [Network] class into a <see cref="NetworkSpec"/>: attribute values and locations as plain
/// data, in source order. Only checks that need symbols or syntax happen here; the rest is planning.
/// </summary>
internal static class NetworkParser
{
    private const string AttributeNamespace = "StaticNets";

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var symbol = (INamedTypeSymbol)context.TargetSymbol;
        var node = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();
        LocationInfo? classLocation = LocationInfo.From(node.Identifier.GetLocation());

        if (!node.Modifiers.Any(SyntaxKind.PartialKeyword))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassNotPartial, classLocation, symbol.Name));
        if (symbol.IsGenericType)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericNetwork, classLocation, symbol.Name));

        var containing = new List<ContainingType>();
        for (INamedTypeSymbol? outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            var declarations = outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().ToList();
            if (declarations.Count == 0 || !declarations.Any(d => d.Modifiers.Any(SyntaxKind.PartialKeyword)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeNotPartial,
                    LocationInfo.From(declarations.FirstOrDefault()?.Identifier.GetLocation()) ?? classLocation, outer.Name, symbol.Name));
            }
            containing.Insert(0, new ContainingType(Keyword(declarations.FirstOrDefault()), outer.Name));
        }

        if (diagnostics.Count > 0)
            return new ParseResult(null, diagnostics.ToEquatableArray());

        var loss = LossKind.None;
        foreach (var named in context.Attributes[0].NamedArguments)
        {
            if (named.Key == "Loss" && named.Value.Value is int value)
                loss = (LossKind)value;
        }

        var layers = new List<LayerSpec>();
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!TryGetLayerKind(attribute, out LayerKind kind))
                continue;
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            LocationInfo? location = LocationInfo.From(syntax?.GetLocation());
            if (syntax?.Parent?.Parent != node)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersSplitAcrossDeclarations, location, kind, symbol.Name));
                continue;
            }
            layers.Add(ReadLayer(kind, attribute, location));
        }

        string? ns = symbol.ContainingNamespace.IsGlobalNamespace ? null : symbol.ContainingNamespace.ToDisplayString();
        var spec = new NetworkSpec(ns, symbol.Name, containing.ToEquatableArray(), loss, layers.ToEquatableArray(), classLocation);
        return new ParseResult(spec, diagnostics.ToEquatableArray());
    }

    private static bool TryGetLayerKind(AttributeData attribute, out LayerKind kind)
    {
        kind = default;
        INamedTypeSymbol? type = attribute.AttributeClass;
        if (type is null || type.TypeKind == TypeKind.Error || type.ContainingNamespace?.ToDisplayString() != AttributeNamespace)
            return false;
        const string suffix = "Attribute";
        string name = type.Name.EndsWith(suffix, StringComparison.Ordinal) ? type.Name.Substring(0, type.Name.Length - suffix.Length) : type.Name;
        return name != "Network" && Enum.TryParse(name, ignoreCase: false, out kind) && Enum.IsDefined(typeof(LayerKind), kind);
    }

    private static LayerSpec ReadLayer(LayerKind kind, AttributeData attribute, LocationInfo? location)
    {
        object? first = attribute.ConstructorArguments.Length > 0 ? attribute.ConstructorArguments[0].Value : null;
        int size = first is int i ? i : 0;
        string? name = first as string;
        float value = first is null or int or string ? DefaultValue(kind) : Convert.ToSingle(first, CultureInfo.InvariantCulture);
        float epsilon = kind is LayerKind.BatchNorm or LayerKind.LayerNorm ? 1e-5f : float.NaN;
        bool flag = false, bias = true;
        var init = InitKind.Default;
        float initScale = float.NaN, biasInit = 0f;
        foreach (var named in attribute.NamedArguments)
        {
            object? v = named.Value.Value;
            switch (named.Key)
            {
                case "Approximate" when v is bool b: flag = b; break;
                case "Init" when v is int n: init = (InitKind)n; break;
                case "InitScale" when v is not null: initScale = Convert.ToSingle(v, CultureInfo.InvariantCulture); break;
                case "Bias" when v is bool b: bias = b; break;
                case "BiasInit" when v is not null: biasInit = Convert.ToSingle(v, CultureInfo.InvariantCulture); break;
                case "Momentum" or "InitialSlope" when v is not null: value = Convert.ToSingle(v, CultureInfo.InvariantCulture); break;
                case "Epsilon" when v is not null: epsilon = Convert.ToSingle(v, CultureInfo.InvariantCulture); break;
            }
        }
        return new LayerSpec(kind, size, value, epsilon, name, flag, init, initScale, bias, biasInit, location);
    }

    // The attributes' property defaults, which AttributeData does not report when they are not set.
    private static float DefaultValue(LayerKind kind) => kind switch
    {
        LayerKind.BatchNorm => 0.1f,
        LayerKind.PReLU => 0.25f,
        _ => float.NaN,
    };

    private static string Keyword(TypeDeclarationSyntax? declaration) => declaration switch
    {
        RecordDeclarationSyntax r when r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
        RecordDeclarationSyntax => "record",
        StructDeclarationSyntax => "struct",
        InterfaceDeclarationSyntax => "interface",
        _ => "class",
    };
}
