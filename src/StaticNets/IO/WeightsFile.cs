using System.Buffers.Binary;
using System.Text;

namespace StaticNets;

/// <summary>
/// Saves and loads a network's parameters and state (BatchNorm running statistics).
/// <para>Format, little-endian: "SNWF", u16 format version (1), u16 0, u32 length and UTF-8 bytes of the
/// architecture fingerprint (the network's Architecture string), u32 parameter count, u32 state count,
/// the parameters and the state as float32, then the CRC-32 of everything before it.</para>
/// Saving is atomic (temporary file, flush to disk, rename): a crash never leaves a half-written file.
/// Loading checks everything before it changes anything: a file from another architecture, a truncated
/// or corrupted file, or one holding NaN or infinity throws <see cref="InvalidDataException"/> naming the
/// file and the problem, and leaves the network as it was.
/// </summary>
public static class WeightsFile
{
    /// <summary>The format version this library writes and reads.</summary>
    public const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "SNWF"u8;
    private const int FixedHeader = 12; // magic, version, reserved, architecture length

    /// <summary>Writes <paramref name="network"/>'s parameters and state to <paramref name="path"/> atomically.</summary>
    public static void Save(INetwork network, string path) => AtomicFile.Write(path, Serialize(network));

    /// <summary>For tests: interposes <paramref name="wrap"/> around the temporary file's stream.</summary>
    internal static void Save(INetwork network, string path, Func<Stream, Stream> wrap) => AtomicFile.Write(path, Serialize(network), wrap);

    /// <summary>The file's bytes for <paramref name="network"/>.</summary>
    public static byte[] Serialize(INetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        ReadOnlySpan<float> parameters = network.Parameters, state = network.State;
        CheckFinite(network, parameters, state, "cannot be saved");
        byte[] architecture = Encoding.UTF8.GetBytes(network.Architecture);
        var bytes = new byte[FixedHeader + architecture.Length + 8 + 4 * (parameters.Length + state.Length) + 4];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], architecture.Length);
        architecture.CopyTo(span[FixedHeader..]);
        int at = FixedHeader + architecture.Length;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], parameters.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 4)..], state.Length);
        at += 8;
        WriteFloats(parameters, span.Slice(at, 4 * parameters.Length));
        at += 4 * parameters.Length;
        WriteFloats(state, span.Slice(at, 4 * state.Length));
        at += 4 * state.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], System.IO.Hashing.Crc32.HashToUInt32(span[..at]));
        return bytes;
    }

    /// <summary>Loads the parameters and state saved in <paramref name="path"/> into <paramref name="network"/>.</summary>
    public static void Load(INetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!File.Exists(path)) throw new FileNotFoundException($"No weights file at '{Path.GetFullPath(path)}'.", path);
        Deserialize(network, File.ReadAllBytes(path), path);
    }

    /// <summary>Loads from a stream (e.g. an embedded resource); <paramref name="source"/> names it in errors.</summary>
    public static void Load(INetwork network, Stream stream, string source = "stream")
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        Deserialize(network, copy.ToArray(), source);
    }

    /// <summary>Checks <paramref name="bytes"/> completely, then copies them into <paramref name="network"/>.</summary>
    public static void Deserialize(INetwork network, ReadOnlySpan<byte> bytes, string source = "data")
    {
        ArgumentNullException.ThrowIfNull(network);
        if (bytes.Length < FixedHeader || !bytes[..4].SequenceEqual(Magic))
        {
            if (bytes.Length >= 4 && !bytes[..4].SequenceEqual(Magic))
                throw Invalid(source, "is not a StaticNets weights file (it does not start with \"SNWF\")");
            throw Invalid(source, $"is truncated: {bytes.Length} bytes, shorter than the {FixedHeader}-byte header");
        }
        int version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (version != FormatVersion)
            throw Invalid(source, $"has format version {version}; this StaticNets reads version {FormatVersion}");
        long architectureLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        long countsAt = FixedHeader + architectureLength;
        if (countsAt + 8 > bytes.Length)
            throw Invalid(source, $"is truncated or corrupted: its header needs {countsAt + 8} bytes and the file has {bytes.Length}");
        long parameterCount = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(int)countsAt..]);
        long stateCount = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(int)(countsAt + 4)..]);
        long expected = countsAt + 8 + 4 * (parameterCount + stateCount) + 4;
        if (bytes.Length < expected)
            throw Invalid(source, $"is truncated: {bytes.Length} bytes where its header promises {expected}");
        if (bytes.Length > expected)
            throw Invalid(source, $"is corrupted: {bytes.Length - expected} bytes more than its header describes");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(int)(expected - 4)..]);
        uint actual = System.IO.Hashing.Crc32.HashToUInt32(bytes[..(int)(expected - 4)]);
        if (stored != actual)
            throw Invalid(source, $"is corrupted: its checksum is 0x{stored:X8} but its content sums to 0x{actual:X8}");

        string architecture = Encoding.UTF8.GetString(bytes.Slice(FixedHeader, (int)architectureLength));
        if (architecture != network.Architecture)
            throw Invalid(source, $"was saved from a different network.\n  file:    {architecture}\n  network: {network.Architecture}");
        if (parameterCount != network.Parameters.Length || stateCount != network.State.Length)
            throw Invalid(source, $"holds {parameterCount} parameters and {stateCount} state values; the network has {network.Parameters.Length} and {network.State.Length}");

        var parameters = new float[parameterCount];
        var state = new float[stateCount];
        int at = (int)countsAt + 8;
        ReadFloats(bytes.Slice(at, 4 * parameters.Length), parameters);
        ReadFloats(bytes.Slice(at + 4 * parameters.Length, 4 * state.Length), state);
        CheckFinite(network, parameters, state, "cannot be loaded", source);
        using (network.BeginWrite())
        {
            parameters.CopyTo(network.Parameters);
            state.CopyTo(network.State);
        }
    }

    internal static void WriteFloats(ReadOnlySpan<float> values, Span<byte> destination)
    {
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(destination[(4 * i)..], values[i]);
    }

    internal static void ReadFloats(ReadOnlySpan<byte> source, Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
    }

    /// <summary>Throws naming the first non-finite value by tensor and index.</summary>
    internal static void CheckFinite(INetwork network, ReadOnlySpan<float> parameters, ReadOnlySpan<float> state, string verb, string? source = null)
    {
        string? where = FirstNonFinite(parameters, network.ParameterTensors) ?? FirstNonFinite(state, network.StateTensors);
        if (where is null) return;
        string message = $"{where} {verb}: weights must be finite (no NaN or infinity).";
        throw source is null ? new InvalidOperationException("The network's " + message) : Invalid(source, "holds " + message);
    }

    /// <summary>The first NaN or infinity, named by tensor and index ("parameter [i]" without a layout); null if there is none.</summary>
    internal static string? FirstNonFinite(ReadOnlySpan<float> values, ReadOnlySpan<ParameterTensor> tensors)
    {
        if (Guard.AllFinite(values)) return null;
        foreach (ParameterTensor t in tensors)
            for (int i = 0; i < t.Length; i++)
                if (!float.IsFinite(values[t.Offset + i]))
                    return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{t.Name}[{i}] = {values[t.Offset + i]}");
        // Outside every tensor, or no layout: the first value that is not finite.
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"parameter [{i}] = {values[i]}");
        return null;
    }

    internal static InvalidDataException Invalid(string source, string problem) => new($"Weights '{source}' {problem}.");
}
