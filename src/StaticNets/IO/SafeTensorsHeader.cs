using System.Text;
using System.Text.Json;

namespace StaticNets;

/// <summary>
/// A safetensors header, read and checked by the reference implementation's rules: at most 100,000,000 bytes of
/// UTF-8 JSON holding one object; each key is unique; "__metadata__" maps strings to strings; every other key names a
/// tensor with a known dtype, a shape of non-negative whole numbers and data_offsets [begin, end]. Sorted by offset,
/// the tensors start at 0, follow one another without gap or overlap, each spans its shape times its dtype's size,
/// and the last one ends where the file ends. Parsed as a stream of tokens, so memory stays a small multiple of the
/// header's size however many entries it has.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>The largest header the reference implementation accepts.</summary>
    public const long MaxLength = 100_000_000;

    /// <summary>One tensor's entry; its shape is <see cref="Rank"/> values of the header's shape list from <see cref="ShapeStart"/>.</summary>
    public readonly record struct Entry(string Name, string DType, int ElementSize, int ShapeStart, int Rank, ulong Begin, ulong End);

    private readonly List<Entry> _entries = [];
    private readonly List<ulong> _shapes = [];
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    private SafeTensorsHeader() { }

    /// <summary>The "__metadata__" strings (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    /// <summary>Tensor entries in the order of the file's data.</summary>
    public IReadOnlyList<Entry> Entries => _entries;

    public bool TryGet(string name, out Entry entry)
    {
        bool found = _byName.TryGetValue(name, out int index);
        entry = found ? _entries[index] : default;
        return found;
    }

    public ReadOnlySpan<ulong> Shape(in Entry entry) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_shapes).Slice(entry.ShapeStart, entry.Rank);

    /// <summary>The dtypes the format defines, with bytes per element.</summary>
    private static readonly (string Name, int Size)[] DTypes =
    [
        ("F32", 4), ("F16", 2), ("BF16", 2), ("F64", 8), ("BOOL", 1), ("U8", 1), ("I8", 1), ("F8_E5M2", 1), ("F8_E4M3", 1), ("F8_E8M0", 1),
        ("I16", 2), ("U16", 2), ("I32", 4), ("U32", 4), ("I64", 8), ("U64", 8), ("C64", 8),
    ];

    // The dtype named by the current string token, compared in place (no string per tensor); null if unknown.
    private static (string Name, int Size)? DType(ref Utf8JsonReader reader)
    {
        foreach (var dtype in DTypes)
            if (reader.ValueTextEquals(dtype.Name))
                return dtype;
        return null;
    }

    /// <summary>
    /// Parses <paramref name="json"/>, the header of a file whose data section holds <paramref name="dataLength"/> bytes,
    /// and checks every entry; throws <see cref="InvalidDataException"/> naming <paramref name="source"/> and the tensor.
    /// </summary>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> json, long dataLength, string source)
    {
        var header = new SafeTensorsHeader();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Invalid(source, "has a header that is not a JSON object");
            bool metadata = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("__metadata__"u8))
                {
                    if (metadata) throw Invalid(source, "names '__metadata__' twice in its header");
                    metadata = true;
                    reader.Read();
                    ReadMetadata(ref reader, source, header._metadata);
                    continue;
                }
                string name = reader.GetString()!;
                if (header._byName.ContainsKey(name))
                    throw Invalid(source, $"names '{Shorten(name)}' twice in its header");
                reader.Read();
                header.ReadTensor(ref reader, name, source);
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                throw Invalid(source, "has text after its header's JSON object");
        }
        catch (JsonException e)
        {
            throw Invalid(source, $"has a header that is not valid JSON ({e.Message})");
        }
        catch (InvalidOperationException e)
        {
            throw Invalid(source, $"has a header that is not valid JSON ({e.Message})");
        }
        header.CheckOffsets(dataLength, source);
        return header;
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, string source, Dictionary<string, string> metadata)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Invalid(source, "has a '__metadata__' that is not an object of strings");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            if (metadata.ContainsKey(key))
                throw Invalid(source, $"names '{Shorten(key)}' twice in its '__metadata__'");
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                throw Invalid(source, $"has '__metadata__' entry '{Shorten(key)}' that is not a string");
            metadata[key] = reader.GetString()!;
        }
    }

    private void ReadTensor(ref Utf8JsonReader reader, string name, string source)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Invalid(source, $"has tensor '{Shorten(name)}' whose entry is not an object");
        (string Name, int Size)? dtype = null;
        bool hasDType = false, hasOffsets = false;
        int shapeStart = _shapes.Count, rank = -1;
        ulong begin = 0, end = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // The field names compared in place: a header of a million tensors would otherwise make millions of strings.
            bool isDType = reader.ValueTextEquals("dtype"u8), isShape = reader.ValueTextEquals("shape"u8), isOffsets = reader.ValueTextEquals("data_offsets"u8);
            if ((isDType && hasDType) || (isShape && rank >= 0) || (isOffsets && hasOffsets))
                throw Invalid(source, $"has tensor '{Shorten(name)}' with '{reader.GetString()}' twice");
            reader.Read();
            if (isDType)
            {
                if (reader.TokenType != JsonTokenType.String)
                    throw Invalid(source, $"has tensor '{Shorten(name)}' whose dtype is not a string");
                dtype = DType(ref reader) ?? throw Invalid(source, $"has tensor '{Shorten(name)}' of unknown dtype '{Shorten(reader.GetString()!)}'");
                hasDType = true;
            }
            else if (isShape)
                rank = ReadNumbers(ref reader, _shapes, name, "shape", source);
            else if (isOffsets)
            {
                int at = _shapes.Count;
                if (ReadNumbers(ref reader, _shapes, name, "data_offsets", source) != 2)
                    throw Invalid(source, $"has tensor '{Shorten(name)}' whose data_offsets are not [begin, end]");
                (begin, end, hasOffsets) = (_shapes[at], _shapes[at + 1], true);
                _shapes.RemoveRange(at, 2);
            }
            else
                reader.Skip();
        }
        if (dtype is not { } known || rank < 0 || !hasOffsets)
            throw Invalid(source, $"has tensor '{Shorten(name)}' without {(!hasDType ? "a dtype" : rank < 0 ? "a shape" : "data_offsets")}");
        _byName[name] = _entries.Count;
        _entries.Add(new Entry(name, known.Name, known.Size, shapeStart, rank, begin, end));
    }

    // A JSON array of whole numbers from 0 to 2⁶⁴ − 1, appended to `into`; returns how many.
    private static int ReadNumbers(ref Utf8JsonReader reader, List<ulong> into, string name, string field, string source)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Invalid(source, $"has tensor '{Shorten(name)}' whose {field} is not an array");
        int count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out ulong value))
                throw Invalid(source, $"has tensor '{Shorten(name)}' whose {field} holds something other than whole numbers from 0 to {ulong.MaxValue}");
            into.Add(value);
            count++;
        }
        return count;
    }

    // The reference implementation's layout rules, tensor by tensor in the order of their data.
    private void CheckOffsets(long dataLength, string source)
    {
        _entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        for (int i = 0; i < _entries.Count; i++) _byName[_entries[i].Name] = i;
        ulong expectedBegin = 0;
        foreach (Entry entry in _entries)
        {
            if (entry.Begin != expectedBegin || entry.End < entry.Begin)
            {
                string problem = entry.End < entry.Begin ? "ends before it begins"
                    : entry.Begin < expectedBegin ? $"overlaps the tensor before it, which ends at byte {expectedBegin}"
                    : $"leaves bytes [{expectedBegin}, {entry.Begin}) unused before it";
                throw Invalid(source, $"has tensor '{Shorten(entry.Name)}' at data_offsets [{entry.Begin}, {entry.End}], which {problem}; tensors must cover the data from byte 0 without gaps or overlaps");
            }
            UInt128 bytes = (ulong)entry.ElementSize;
            foreach (ulong dimension in Shape(entry))
            {
                bytes *= dimension;
                if (bytes > ulong.MaxValue) break;
            }
            if (bytes != entry.End - entry.Begin)
                throw Invalid(source, $"has tensor '{Shorten(entry.Name)}' of dtype {entry.DType} and shape [{string.Join(", ", Shape(entry).ToArray())}], which needs {bytes} bytes, but its data_offsets [{entry.Begin}, {entry.End}] hold {entry.End - entry.Begin}");
            expectedBegin = entry.End;
        }
        if (expectedBegin != (ulong)dataLength)
            throw Invalid(source, expectedBegin < (ulong)dataLength
                ? $"has {(ulong)dataLength - expectedBegin} bytes after its last tensor; tensors must cover the data exactly"
                : $"is truncated: its tensors need {expectedBegin} bytes of data and it has {dataLength}");
    }

    /// <summary>
    /// The first few of <paramref name="names"/> in ordinal order, then how many more: messages stay short however large
    /// the header, and finding them keeps only those few.
    /// </summary>
    public static string FewNames(IEnumerable<string> names, int count = 5)
    {
        var first = new List<string>(count + 1);
        int total = 0;
        foreach (string name in names)
        {
            total++;
            int at = first.BinarySearch(name, StringComparer.Ordinal);
            if (at < 0) at = ~at;
            if (at >= count) continue;
            first.Insert(at, name);
            if (first.Count > count) first.RemoveAt(count);
        }
        string list = first.Count == 0 ? "none" : string.Join(", ", first.Select(n => $"'{Shorten(n)}'"));
        return total > first.Count ? $"{list} and {total - first.Count} more" : list;
    }

    /// <summary>A name as it goes into a message: at most 80 characters.</summary>
    public static string Shorten(string name) => name.Length <= 80 ? name : string.Concat(name.AsSpan(0, 77), "...");

    public static InvalidDataException Invalid(string source, string problem) => new($"Safetensors file '{source}' {problem}.");
}
