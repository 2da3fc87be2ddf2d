using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace StaticNets;

/// <summary>
/// Import and export in the safetensors format (an 8-byte header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the data), with PyTorch's names and layouts: a Dense's
/// weight is "dense1.weight" of shape [out, in], BatchNorm's γ, β and running statistics are
/// "batchnorm1.weight", ".bias", ".running_mean", ".running_var". Weights trained in PyTorch load here
/// when the names match, directly or through a name map. Import checks every tensor before it changes
/// anything.
/// </summary>
public static class SafeTensors
{
    /// <summary>Writes every parameter and state tensor of <paramref name="network"/> as float32, atomically.</summary>
    public static void Save(INetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        WeightsFile.CheckFinite(network, network.Parameters, network.State, "cannot be saved");
        var tensors = new List<(ParameterTensor Tensor, bool State)>();
        foreach (ParameterTensor t in network.ParameterTensors) tensors.Add((t, false));
        foreach (ParameterTensor t in network.StateTensors) tensors.Add((t, true));

        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WritePropertyName("__metadata__");
            json.WriteStartObject();
            json.WriteString("format", "pt");
            json.WriteString("architecture", network.Architecture);
            json.WriteEndObject();
            long offset = 0;
            foreach (var (t, _) in tensors)
            {
                json.WritePropertyName(t.Name);
                json.WriteStartObject();
                json.WriteString("dtype", "F32");
                json.WritePropertyName("shape");
                json.WriteStartArray();
                json.WriteNumberValue(t.Rows);
                if (t.Kind == ParameterKind.Weight) json.WriteNumberValue(t.Columns);
                json.WriteEndArray();
                json.WritePropertyName("data_offsets");
                json.WriteStartArray();
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += 4L * t.Length);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // The data starts 8-byte aligned: pad the header with spaces, as the format allows.
        int headerLength = (int)((header.Length + 7) / 8 * 8);
        long dataLength = tensors.Sum(x => 4L * x.Tensor.Length);
        var bytes = new byte[8 + headerLength + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)headerLength);
        header.ToArray().CopyTo(bytes, 8);
        bytes.AsSpan(8 + (int)header.Length, headerLength - (int)header.Length).Fill((byte)' ');
        int at = 8 + headerLength;
        foreach (var (t, isState) in tensors)
        {
            ReadOnlySpan<float> block = isState ? network.State : network.Parameters;
            WeightsFile.WriteFloats(block.Slice(t.Offset, t.Length), bytes.AsSpan(at, 4 * t.Length));
            at += 4 * t.Length;
        }
        AtomicFile.Write(path, bytes);
    }

    /// <summary>
    /// Loads tensors from a safetensors file. <paramref name="names"/> maps this network's tensor names to the
    /// file's (e.g. "dense1.weight" → "fc1.weight"); unmapped names are looked up as they are. F32, F64, F16
    /// and BF16 data are read. With <paramref name="strict"/> a tensor in the file that the network does not
    /// have is an error, except PyTorch's "num_batches_tracked" counters.
    /// </summary>
    public static void Load(INetwork network, string path, IReadOnlyDictionary<string, string>? names = null, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!File.Exists(path)) throw new FileNotFoundException($"No safetensors file at '{Path.GetFullPath(path)}'.", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw WeightsFile.Invalid(path, "is truncated: shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
            throw WeightsFile.Invalid(path, $"is truncated or not safetensors: its header length {headerLength} exceeds the file");
        int dataStart = 8 + (int)headerLength;

        var entries = new Dictionary<string, (string DType, long[] Shape, long Begin, long End)>();
        try
        {
            using JsonDocument header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
            foreach (JsonProperty property in header.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                JsonElement e = property.Value;
                long[] shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                long[] range = e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                entries[property.Name] = (e.GetProperty("dtype").GetString() ?? "", shape, range[0], range[1]);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException or FormatException)
        {
            throw WeightsFile.Invalid(path, $"has an unreadable safetensors header ({e.Message})");
        }

        var parameters = network.Parameters.ToArray();
        var state = network.State.ToArray();
        var used = new HashSet<string>();
        Read(network.ParameterTensors, parameters);
        Read(network.StateTensors, state);
        if (strict)
        {
            var unexpected = entries.Keys.Where(k => !used.Contains(k) && !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal).ToList();
            if (unexpected.Count > 0)
                throw WeightsFile.Invalid(path, $"has tensors this network does not: {string.Join(", ", unexpected)} (pass strict: false to ignore them, or map names)");
        }
        WeightsFile.CheckFinite(network, parameters, state, "cannot be loaded", path);
        using (network.BeginWrite())
        {
            parameters.CopyTo(network.Parameters);
            state.CopyTo(network.State);
        }

        void Read(ReadOnlySpan<ParameterTensor> tensors, float[] block)
        {
            foreach (ParameterTensor t in tensors)
            {
                string name = names is not null && names.TryGetValue(t.Name, out string? mapped) ? mapped : t.Name;
                if (!entries.TryGetValue(name, out var entry))
                    throw WeightsFile.Invalid(path, $"has no tensor '{name}' for {t.Name}; it has: {string.Join(", ", entries.Keys.OrderBy(k => k, StringComparer.Ordinal))}");
                used.Add(name);
                long[] expected = t.Kind == ParameterKind.Weight ? [t.Rows, t.Columns] : [t.Rows];
                if (!entry.Shape.SequenceEqual(expected))
                    throw WeightsFile.Invalid(path, $"has '{name}' of shape [{string.Join(", ", entry.Shape)}]; {t.Name} needs [{string.Join(", ", expected)}]");
                int size = entry.DType switch { "F32" => 4, "F64" => 8, "F16" or "BF16" => 2, _ => 0 };
                if (size == 0)
                    throw WeightsFile.Invalid(path, $"stores '{name}' as {entry.DType}; F32, F64, F16 and BF16 can be read");
                if (entry.End - entry.Begin != (long)size * t.Length || entry.Begin < 0 || dataStart + entry.End > bytes.Length)
                    throw WeightsFile.Invalid(path, $"is truncated or corrupted: '{name}' spans bytes [{entry.Begin}, {entry.End}) of a {bytes.Length - dataStart}-byte data section");
                ReadOnlySpan<byte> data = bytes.AsSpan(dataStart + (int)entry.Begin, (int)(entry.End - entry.Begin));
                Span<float> target = block.AsSpan(t.Offset, t.Length);
                for (int i = 0; i < target.Length; i++)
                {
                    target[i] = entry.DType switch
                    {
                        "F32" => BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]),
                        "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(data[(8 * i)..]),
                        "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]),
                        _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]) << 16),
                    };
                }
            }
        }
    }
}
