namespace FashionMnist;

/// <summary>A bad command line; a null message asks for the usage text only.</summary>
public sealed class OptionsException(string? message) : Exception(message ?? "usage")
{
    public bool HelpOnly { get; } = message is null;
}
