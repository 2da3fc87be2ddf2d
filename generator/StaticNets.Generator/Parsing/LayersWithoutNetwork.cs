using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Layers;
using StaticNets.Generator.Model;

namespace StaticNets.Generator.Parsing;

/// <summary>
/// A class with layer attributes but no [Network] gets no generated code, silently, unless this says so: a warning at
/// its first layer attribute. The syntax filter only looks at attribute names, so the semantic check runs on few classes.
/// </summary>
internal static class LayersWithoutNetwork
{
    private static readonly HashSet<string> LayerNames = new(
        LayerKinds.Names.SelectMany(n => new[] { n, n + "Attribute" }), StringComparer.Ordinal);

    public static bool MayHaveLayers(SyntaxNode node, CancellationToken _) =>
        node is ClassDeclarationSyntax { AttributeLists.Count: > 0 } declaration
        && declaration.AttributeLists.SelectMany(l => l.Attributes).Any(a => LayerNames.Contains(SimpleName(a.Name)));

    public static DiagnosticInfo? Check(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        var declaration = (ClassDeclarationSyntax)context.Node;
        if (context.SemanticModel.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol symbol)
            return null;
        if (symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == NetworkParser.AttributeNamespace + ".NetworkAttribute"))
            return null;
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax syntax && syntax.Parent?.Parent == declaration
                && NetworkParser.TryGetLayerKind(attribute, out ILayerKind? kind))
                return DiagnosticInfo.Create(DiagnosticDescriptors.LayersWithoutNetwork, LocationInfo.From(syntax.GetLocation()), symbol.Name, LayerKinds.NameOf(kind!.AttributeType));
        }
        return null;
    }

    private static string SimpleName(NameSyntax name) => name switch
    {
        QualifiedNameSyntax q => q.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax a => a.Name.Identifier.ValueText,
        SimpleNameSyntax s => s.Identifier.ValueText,
        _ => name.ToString(),
    };
}
