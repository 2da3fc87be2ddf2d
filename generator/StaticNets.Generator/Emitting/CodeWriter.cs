using System.Collections.Generic;
using System.Text;

namespace StaticNets.Generator.Emitting;

/// <summary>Indented text with '\n' line ends, so output is the same bytes on every OS.</summary>
internal sealed class CodeWriter(int indent = 0)
{
    /// <summary>Calls longer than this continue on the next lines.</summary>
    public const int MaxLine = 160;

    private readonly StringBuilder _text = new();
    private int _indent = indent;

    public int Indent => _indent;

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
        return this;
    }

    public CodeWriter Open(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return this;
    }

    public CodeWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    /// <summary>
    /// <c>prefix(arguments)suffix</c> on one line when it fits in <see cref="MaxLine"/> columns; else the arguments fill
    /// continuation lines, indented once more.
    /// </summary>
    public CodeWriter Wrapped(string prefix, IReadOnlyList<string> arguments, string suffix = ";")
    {
        string single = prefix + "(" + string.Join(", ", arguments) + ")" + suffix;
        if (_indent * 4 + single.Length <= MaxLine || arguments.Count == 0)
            return Line(single);
        Line(prefix + "(");
        _indent++;
        var line = new StringBuilder();
        for (int i = 0; i < arguments.Count; i++)
        {
            string piece = arguments[i] + (i + 1 < arguments.Count ? "," : ")" + suffix);
            if (line.Length > 0 && _indent * 4 + line.Length + 1 + piece.Length > MaxLine)
            {
                Line(line.ToString());
                line.Clear();
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(piece);
        }
        Line(line.ToString());
        _indent--;
        return this;
    }

    /// <summary>A block whose header is <c>prefix(arguments)</c>, wrapped as <see cref="Wrapped"/> does: a method signature.</summary>
    public CodeWriter OpenWrapped(string prefix, IReadOnlyList<string> arguments)
    {
        Wrapped(prefix, arguments, "");
        Line("{");
        _indent++;
        return this;
    }

    /// <summary>A string literal that may be long: pieces of whole words joined with '+' on lines of their own when it does not fit.</summary>
    public CodeWriter StringLine(string prefix, string text, string suffix = ";")
    {
        string single = prefix + "\"" + text + "\"" + suffix;
        if (_indent * 4 + single.Length <= MaxLine)
            return Line(single);
        Line(prefix.TrimEnd());
        _indent++;
        var piece = new StringBuilder();
        string[] words = text.Split(' ');
        for (int i = 0; i < words.Length; i++)
        {
            string word = words[i] + (i + 1 < words.Length ? " " : "");
            if (piece.Length > 0 && _indent * 4 + piece.Length + word.Length + 6 > MaxLine)
            {
                Line("\"" + piece + "\" +");
                piece.Clear();
            }
            piece.Append(word);
        }
        Line("\"" + piece + "\"" + suffix);
        _indent--;
        return this;
    }

    /// <summary>Appends text another writer produced (already indented).</summary>
    public CodeWriter Append(CodeWriter other)
    {
        _text.Append(other._text);
        return this;
    }

    public override string ToString() => _text.ToString();
}
