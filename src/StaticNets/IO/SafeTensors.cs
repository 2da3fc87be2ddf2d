using System.Buffers.Binary;
using System.Text.Json;

namespace StaticNets;

/// <summary>
/// Import and export in the safetensors format (an 8-byte header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the data), with PyTorch's names and layouts: a Dense's
/// weight is "dense1.weight" of shape [out, in], BatchNorm's γ, β and running statistics are
/// "batchnorm1.weight", ".bias", ".running_mean", ".running_var". Weights trained in PyTorch load here
/// when the names match, directly or through a name map. Loading follows the reference implementation's
/// rules (see the remarks) and checks every tensor before it changes anything; only the header and the
/// tensors the network takes are read.
/// </summary>
/// <remarks>
/// The header is at most 100,000,000 bytes of JSON; keys are unique; the tensors' byte ranges start at 0,
/// follow one another without gaps or overlaps, hold exactly shape × dtype size bytes each and end where the
/// file ends. Any other file is refused with an <see cref="InvalidDataException"/> naming the file and the tensor.
/// </remarks>
public static class SafeTensors
{
    /// <summary>
    /// Writes every parameter and state tensor of <paramref name="network"/> as float32, atomically. <paramref name="names"/>
    /// maps this network's tensor names to the names to write (e.g. "dense1.weight" → "0.weight"; a generated network's
    /// <c>PyTorchSequentialNames</c> maps to an <c>nn.Sequential</c> built in the order of its attributes); unmapped
    /// names are written as they are.
    /// </summary>
    public static void Save(INetwork network, string path, IReadOnlyDictionary<string, string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        WeightsFile.CheckFinite(network, network.Parameters, network.State, "cannot be saved");
        var tensors = new List<(ParameterTensor Tensor, bool State, string Name)>();
        foreach (ParameterTensor t in network.ParameterTensors) tensors.Add((t, false, FileName(t, names)));
        foreach (ParameterTensor t in network.StateTensors) tensors.Add((t, true, FileName(t, names)));
        if (tensors.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } clash)
            throw new ArgumentException($"The name map gives '{clash.Key}' to {string.Join(" and ", clash.Select(t => t.Tensor.Name))}; each tensor needs a name of its own.", nameof(names));

        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["architecture"] = network.Architecture };
        SafeTensorsWriter.Write(path, metadata, tensors.Select(x =>
        {
            ReadOnlySpan<float> block = x.State ? network.State : network.Parameters;
            return new SafeTensor(x.Name, "F32", x.Tensor.Shape.ToArray(), SafeTensorsWriter.Floats(block.Slice(x.Tensor.Offset, x.Tensor.Length)));
        }).ToList());
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
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        long length = file.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || file.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw SafeTensorsHeader.Invalid(path, $"is truncated: {length} bytes, shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > SafeTensorsHeader.MaxLength)
            throw SafeTensorsHeader.Invalid(path, $"gives its header a length of {headerLength} bytes; the format allows at most {SafeTensorsHeader.MaxLength}");
        if ((long)headerLength > length - 8)
            throw SafeTensorsHeader.Invalid(path, $"is truncated or not safetensors: its header length {headerLength} exceeds the {length - 8} bytes after it");
        byte[] json = new byte[headerLength];
        file.ReadExactly(json);
        long dataStart = 8 + (long)headerLength;
        SafeTensorsHeader header = SafeTensorsHeader.Parse(json, length - dataStart, path);

        var parameters = network.Parameters.ToArray();
        var state = network.State.ToArray();
        var used = new HashSet<string>(StringComparer.Ordinal);
        Read(network.ParameterTensors, parameters);
        Read(network.StateTensors, state);
        if (strict)
        {
            var unexpected = header.Entries.Select(e => e.Name).Where(n => !used.Contains(n) && !n.EndsWith(".num_batches_tracked", StringComparison.Ordinal));
            if (unexpected.Any())
                throw SafeTensorsHeader.Invalid(path, $"has tensors this network does not: {SafeTensorsHeader.FewNames(unexpected)} (pass strict: false to ignore them, or map names)");
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
                if (!header.TryGet(name, out SafeTensorsHeader.Entry entry))
                    throw SafeTensorsHeader.Invalid(path, $"has no tensor '{SafeTensorsHeader.Shorten(name)}' for {t.Name}; it has {SafeTensorsHeader.FewNames(header.Entries.Select(e => e.Name))}");
                used.Add(name);
                ulong[] expected = t.Shape.ToArray().Select(d => (ulong)d).ToArray();
                ReadOnlySpan<ulong> shape = header.Shape(entry);
                if (!shape.SequenceEqual(expected))
                    throw SafeTensorsHeader.Invalid(path, $"has '{SafeTensorsHeader.Shorten(name)}' of shape [{string.Join(", ", shape.ToArray())}]; {t.Name} needs [{string.Join(", ", expected)}]");
                if (entry.DType is not ("F32" or "F64" or "F16" or "BF16"))
                    throw SafeTensorsHeader.Invalid(path, $"stores '{SafeTensorsHeader.Shorten(name)}' as {entry.DType}; F32, F64, F16 and BF16 can be read");
                // The shape matches the network's tensor, so its bytes are as few as the network's values.
                var data = new byte[entry.End - entry.Begin];
                file.Position = dataStart + (long)entry.Begin;
                file.ReadExactly(data);
                Span<float> target = block.AsSpan(t.Offset, t.Length);
                for (int i = 0; i < target.Length; i++)
                {
                    target[i] = entry.DType switch
                    {
                        "F32" => BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(4 * i)),
                        "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(8 * i)),
                        "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(data.AsSpan(2 * i)),
                        _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(2 * i)) << 16),
                    };
                }
            }
        }
    }

    private static string FileName(ParameterTensor tensor, IReadOnlyDictionary<string, string>? names) =>
        names is not null && names.TryGetValue(tensor.Name, out string? mapped) ? mapped : tensor.Name;
}
