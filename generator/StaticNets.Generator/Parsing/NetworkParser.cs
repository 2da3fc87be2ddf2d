using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Layers;
using StaticNets.Generator.Model;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Parsing;

/// <summary>
/// Reads a [Network] class into a <see cref="NetworkSpec"/>: attribute values and locations as plain
/// data, in source order, and the members the class already has. Only checks that need symbols or syntax
/// happen here; the rest is planning.
/// </summary>
internal static class NetworkParser
{
    internal const string AttributeNamespace = "StaticNets";

    private static readonly SymbolDisplayFormat CodeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var symbol = (INamedTypeSymbol)context.TargetSymbol;
        var node = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();
        LocationInfo? classLocation = LocationInfo.From(node.Identifier.GetLocation());

        CheckShape(symbol, node, context.SemanticModel.Compilation, classLocation, diagnostics);
        if (!node.Modifiers.Any(SyntaxKind.PartialKeyword))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassNotPartial, classLocation, symbol.Name));
        CheckGeneric(symbol, classLocation, diagnostics);

        var containing = new List<ContainingType>();
        for (INamedTypeSymbol? outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            var declarations = outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().ToList();
            if (declarations.Count == 0 || !declarations.Any(d => d.Modifiers.Any(SyntaxKind.PartialKeyword)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeNotPartial,
                    LocationInfo.From(declarations.FirstOrDefault()?.Identifier.GetLocation()) ?? classLocation, outer.Name, symbol.Name));
            }
            containing.Insert(0, new ContainingType(Keyword(declarations.FirstOrDefault()), Identifier(outer.Name)));
        }

        if (diagnostics.Count > 0)
            return new ParseResult(null, diagnostics.ToEquatableArray());

        Loss loss = AttributeValues.Create(typeof(NetworkAttribute), context.Attributes[0]) is NetworkAttribute network ? network.Loss : Loss.None;

        var layers = new List<LayerSpec>();
        bool unreadable = false;
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!TryGetLayerKind(attribute, out ILayerKind? kind))
                continue;
            string kindName = LayerKinds.NameOf(kind!.AttributeType);
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            LocationInfo? location = LocationInfo.From(syntax?.GetLocation());
            if (syntax?.Parent?.Parent != node)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersSplitAcrossDeclarations, location, kindName, symbol.Name));
                continue;
            }
            // The compiler reports an attribute whose arguments do not bind; its values are unknown, so no network is
            // built (and nothing more is said about it).
            Attribute? value = attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error) || attribute.NamedArguments.Any(a => a.Value.Kind == TypedConstantKind.Error)
                ? null
                : AttributeValues.Create(kind!.AttributeType, attribute);
            if (value is null)
            {
                unreadable = true;
                continue;
            }
            layers.Add(new LayerSpec(kindName, value, location));
        }
        if (unreadable)
            return new ParseResult(null, diagnostics.ToEquatableArray());

        string? ns = symbol.ContainingNamespace.IsGlobalNamespace ? null : symbol.ContainingNamespace.ToDisplayString(CodeFormat);
        var spec = new NetworkSpec(ns, symbol.Name, containing.ToEquatableArray(), loss, layers.ToEquatableArray(),
            Members(symbol, cancellationToken).ToEquatableArray(), classLocation);
        return new ParseResult(spec, diagnostics.ToEquatableArray());
    }

    /// <summary>A name as code writes it: '@' before a keyword.</summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    // A network is a class the generated partial can complete: not a record, struct or interface, not static or
    // abstract (it is instantiated), and with a base class whose constructor it can call without arguments.
    private static void CheckShape(INamedTypeSymbol symbol, TypeDeclarationSyntax node, Compilation compilation, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        string? problem = node switch
        {
            RecordDeclarationSyntax r when r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "a record struct",
            RecordDeclarationSyntax => "a record",
            StructDeclarationSyntax => "a struct",
            InterfaceDeclarationSyntax => "an interface",
            _ when symbol.IsStatic => "static",
            _ when symbol.IsAbstract => "abstract",
            _ => null,
        };
        if (problem is null && symbol.BaseType is { SpecialType: not SpecialType.System_Object } baseType
            && !baseType.InstanceConstructors.Any(c => c.Parameters.All(p => p.IsOptional || p.IsParams) && compilation.IsSymbolAccessibleWithin(c, symbol)))
            problem = $"derived from '{baseType.ToDisplayString()}', which has no constructor it can call without arguments";
        if (problem is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotAPlainClass, location, symbol.Name, problem));
    }

    private static void CheckGeneric(INamedTypeSymbol symbol, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        if (symbol.TypeParameters.Length > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericNetwork, location, symbol.Name,
                $"'{symbol.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}' has type parameters"));
            return;
        }
        for (INamedTypeSymbol? outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.TypeParameters.Length > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericNetwork, location, symbol.Name,
                    $"it is nested in generic type '{outer.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}'"));
                return;
            }
        }
    }

    // What the class has before generation: its own members (from every partial declaration) and what it inherits.
    private static List<MemberSignature> Members(INamedTypeSymbol symbol, CancellationToken cancellationToken)
    {
        var members = new List<MemberSignature>();
        foreach (ISymbol member in symbol.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member.IsImplicitlyDeclared) continue;
            members.Add(Signature(member, null, LocationInfo.From(member.Locations.FirstOrDefault())));
        }
        for (INamedTypeSymbol? type = symbol.BaseType; type is { SpecialType: not SpecialType.System_Object }; type = type.BaseType)
        {
            foreach (ISymbol member in type.GetMembers())
            {
                if (member.IsImplicitlyDeclared || member.DeclaredAccessibility == Accessibility.Private || member is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor })
                    continue;
                members.Add(Signature(member, type.ToDisplayString(), null));
            }
        }
        return members;
    }

    private static MemberSignature Signature(ISymbol member, string? inheritedFrom, LocationInfo? location)
    {
        string? parameters = member is IMethodSymbol method
            ? string.Join(", ", method.Parameters.Select(p => (p.RefKind == RefKind.None ? "" : p.RefKind.ToString().ToLowerInvariant() + " ") + p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)))
            : null;
        string name = member is IMethodSymbol { MethodKind: MethodKind.Constructor } ? ".ctor" : member.Name;
        string description = member is IMethodSymbol { MethodKind: MethodKind.Constructor }
            ? $"a constructor ({parameters})"
            : $"{Kind(member)} '{member.Name}{(parameters is null ? "" : $"({parameters})")}'";
        return new MemberSignature(name, parameters, description, inheritedFrom, location);
    }

    private static string Kind(ISymbol member) => member switch
    {
        IMethodSymbol => "a method",
        IPropertySymbol => "a property",
        IFieldSymbol { IsConst: true } => "a constant",
        IFieldSymbol => "a field",
        IEventSymbol => "an event",
        INamedTypeSymbol => "a nested type",
        _ => "a member",
    };

    /// <summary>Whether <paramref name="attribute"/> is one of StaticNets' layer attributes, and which kind.</summary>
    internal static bool TryGetLayerKind(AttributeData attribute, out ILayerKind? kind)
    {
        kind = null;
        INamedTypeSymbol? type = attribute.AttributeClass;
        if (type is null || type.TypeKind == TypeKind.Error || type.ContainingNamespace?.ToDisplayString() != AttributeNamespace)
            return false;
        const string suffix = "Attribute";
        string name = type.Name.EndsWith(suffix, StringComparison.Ordinal) ? type.Name.Substring(0, type.Name.Length - suffix.Length) : type.Name;
        return LayerKinds.TryGet(name, out kind!);
    }

    private static string Keyword(TypeDeclarationSyntax? declaration) => declaration switch
    {
        RecordDeclarationSyntax r when r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
        RecordDeclarationSyntax => "record",
        StructDeclarationSyntax => "struct",
        InterfaceDeclarationSyntax => "interface",
        _ => "class",
    };
}
