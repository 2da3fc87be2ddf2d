using System;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace StaticNets.Generator.Parsing;

/// <summary>
/// Rebuilds a layer attribute from the arguments the compiler bound: the constructor with the same parameter types,
/// then the named properties. The class is the runtime's own (linked into the generator), so the defaults the user
/// did not write are the runtime's.
/// </summary>
internal static class AttributeValues
{
    /// <summary>The attribute, or null when its arguments fit none of the class's constructors or properties.</summary>
    public static Attribute? Create(Type type, AttributeData data)
    {
        if (data.AttributeConstructor is not { } constructor) return null;
        ImmutableArray<IParameterSymbol> parameters = constructor.Parameters;
        ConstructorInfo? match = type.GetConstructors().FirstOrDefault(c => SameTypes(c.GetParameters(), parameters));
        if (match is null) return null;
        ParameterInfo[] targets = match.GetParameters();
        var arguments = new object?[targets.Length];
        for (int i = 0; i < targets.Length; i++)
            arguments[i] = Convert(data.ConstructorArguments[i], targets[i].ParameterType);
        var attribute = (Attribute)match.Invoke(arguments);
        foreach (var named in data.NamedArguments)
        {
            PropertyInfo? property = type.GetProperty(named.Key);
            if (property is null || !property.CanWrite) return null;
            property.SetValue(attribute, Convert(named.Value, property.PropertyType));
        }
        return attribute;
    }

    private static bool SameTypes(ParameterInfo[] parameters, ImmutableArray<IParameterSymbol> symbols) =>
        parameters.Length == symbols.Length && parameters.Select((p, i) => p.ParameterType.Name == symbols[i].Type.MetadataName).All(same => same);

    private static object? Convert(TypedConstant constant, Type target) =>
        target.IsEnum ? Enum.ToObject(target, constant.Value!) : System.Convert.ChangeType(constant.Value, target, CultureInfo.InvariantCulture);
}
