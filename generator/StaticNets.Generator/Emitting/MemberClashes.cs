using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>
/// The user's members that the generated code would collide with: a member of the same name (C# allows no field,
/// property or method to share a name with another kind of member), a method or constructor with the same parameter
/// types, or an inherited member the generated one would hide. The generated members are read from the generated
/// text itself, so the list never drifts from what the emitters write.
/// </summary>
internal static class MemberClashes
{
    public static List<DiagnosticInfo> Find(NetworkPlan plan, string source)
    {
        var generated = Generated(source, plan);
        var clashes = new List<DiagnosticInfo>();
        foreach (MemberSignature member in plan.Members)
        {
            if (!generated.TryGetValue(member.Name, out List<string?>? overloads))
                continue;
            // Two methods (or constructors) may share a name when their parameter types differ.
            bool clash = member.Parameters is null || overloads.Any(p => p is null || p == member.Parameters);
            if (!clash) continue;
            string how = member.InheritedFrom is null ? "declares" : $"inherits from '{member.InheritedFrom}'";
            clashes.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberClash, member.Location ?? plan.Location, plan.ClassName, how, member.Description));
        }
        return clashes;
    }

    // Name (".ctor" for constructors, the interface-qualified name for explicit implementations) → parameter lists
    // (null for members that are not methods).
    private static Dictionary<string, List<string?>> Generated(string source, NetworkPlan plan)
    {
        var members = new Dictionary<string, List<string?>>(System.StringComparer.Ordinal);
        SyntaxNode root = CSharpSyntaxTree.ParseText(source).GetRoot();
        ClassDeclarationSyntax? network = root.DescendantNodes().OfType<ClassDeclarationSyntax>().FirstOrDefault(c => c.Identifier.ValueText == plan.ClassName);
        // The network's own type, as the parser writes it.
        string self = "global::" + string.Join(".", new[] { plan.Namespace }.Concat(plan.ContainingTypes.Select(t => t.Name)).Append(plan.ClassIdentifier).Where(n => n is not null));
        if (network is null) return members;
        foreach (MemberDeclarationSyntax member in network.Members)
        {
            switch (member)
            {
                case MethodDeclarationSyntax m:
                    Add(Name(m.ExplicitInterfaceSpecifier, m.Identifier.Text), Parameters(m.ParameterList, self, plan.ClassIdentifier));
                    break;
                case ConstructorDeclarationSyntax c:
                    Add(".ctor", Parameters(c.ParameterList, self, plan.ClassIdentifier));
                    break;
                case PropertyDeclarationSyntax p:
                    Add(Name(p.ExplicitInterfaceSpecifier, p.Identifier.Text), null);
                    break;
                case BaseFieldDeclarationSyntax f:
                    foreach (VariableDeclaratorSyntax v in f.Declaration.Variables) Add(v.Identifier.Text, null);
                    break;
                case BaseTypeDeclarationSyntax t:
                    Add(t.Identifier.Text, null);
                    break;
            }
        }
        return members;

        void Add(string name, string? parameters)
        {
            if (!members.TryGetValue(name, out List<string?>? list)) members[name] = list = new List<string?>();
            list.Add(parameters);
        }
    }

    // An explicit implementation as the compiler names it: "StaticNets.INetwork.InputSize".
    private static string Name(ExplicitInterfaceSpecifierSyntax? explicitInterface, string name) =>
        explicitInterface is null ? name : explicitInterface.Name.ToString().Replace("global::", "") + "." + name;

    // The parameter types as the parser writes them: "ref global::System.Span<float>, int".
    private static string Parameters(ParameterListSyntax list, string self, string classIdentifier) =>
        string.Join(", ", list.Parameters.Select(p =>
            string.Concat(p.Modifiers.Where(m => m.IsKind(SyntaxKind.RefKeyword) || m.IsKind(SyntaxKind.OutKeyword) || m.IsKind(SyntaxKind.InKeyword)).Select(m => m.Text + " "))
            + (p.Type!.ToString() is var type && type == classIdentifier ? self : type)));
}
