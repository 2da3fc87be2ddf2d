using System.Buffers.Binary;
using System.Globalization;
using StaticNets.Quantization;

namespace StaticNets;

public sealed partial class QuantizedNetwork
{
    private const string Format = "staticnets-int8";
    private const string FormatVersion = "1";

    /// <summary>
    /// Saves the quantized network as safetensors, atomically: per layer <c>layers.{i}.weight</c> (I8 [outputs, patch];
    /// a convolution's patch in kernel-row, kernel-column, channel order), <c>geometry</c> (I32 [11]: input channels,
    /// rows, columns, kernel rows, columns, strides, paddings, pooling window and stride),
    /// <c>weight_scale</c> (F32 [outputs]), <c>bias</c> (F32 [outputs]), <c>input_scale</c> (F32 [1]),
    /// <c>input_zero_point</c> (U8 [1]) and <c>negative_slope</c> (F32 [1]); the metadata holds the format, the loss,
    /// the float network's architecture, the layers' names and activations and a CRC-32 of the data, which
    /// <see cref="Load"/> checks.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var tensors = new List<SafeTensor>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["version"] = FormatVersion,
            ["loss"] = Loss.ToString(),
            ["architecture"] = SourceArchitecture,
            ["layers"] = _layers.Length.ToString(CultureInfo.InvariantCulture),
        };
        for (int l = 0; l < _layers.Length; l++)
        {
            Int8Layer layer = _layers[l];
            string prefix = $"layers.{l}.";
            metadata[prefix + "name"] = layer.Name;
            metadata[prefix + "activation"] = layer.Activation;
            tensors.Add(new SafeTensor(prefix + "weight", "I8", [layer.Outputs, layer.Inputs], (byte[])(Array)layer.Weights.Clone()));
            tensors.Add(new SafeTensor(prefix + "geometry", "I32", [11], Ints(layer.Geometry.ToArray())));
            tensors.Add(new SafeTensor(prefix + "weight_scale", "F32", [layer.Outputs], SafeTensorsWriter.Floats(layer.WeightScales)));
            tensors.Add(new SafeTensor(prefix + "bias", "F32", [layer.Outputs], SafeTensorsWriter.Floats(layer.Bias)));
            tensors.Add(new SafeTensor(prefix + "input_scale", "F32", [1], SafeTensorsWriter.Floats([layer.InputScale])));
            tensors.Add(new SafeTensor(prefix + "input_zero_point", "U8", [1], [(byte)layer.InputZeroPoint]));
            tensors.Add(new SafeTensor(prefix + "negative_slope", "F32", [1], SafeTensorsWriter.Floats([layer.NegativeSlope])));
        }
        metadata["data_crc32"] = Checksum(tensors.Select(t => t.Data)).ToString("x8", CultureInfo.InvariantCulture);
        SafeTensorsWriter.Write(path, metadata, tensors);
    }

    /// <summary>
    /// Loads a network saved by <see cref="Save"/>. A missing, truncated or corrupted file, one from another format, or
    /// values no quantized network can hold (a weight of −128, a scale that is not positive and finite, a zero point
    /// above 127, layers whose sizes do not chain) throw <see cref="InvalidDataException"/> naming the file and what is wrong.
    /// </summary>
    public static QuantizedNetwork Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No quantized network at '{Path.GetFullPath(path)}'.", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8)
            throw SafeTensorsHeader.Invalid(path, $"is truncated: {bytes.Length} bytes, shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
            throw SafeTensorsHeader.Invalid(path, $"is truncated or not safetensors: its header length {headerLength} exceeds the {bytes.Length - 8} bytes after it");
        int dataStart = 8 + (int)headerLength;
        SafeTensorsHeader header = SafeTensorsHeader.Parse(bytes.AsSpan(8, (int)headerLength), bytes.Length - dataStart, path);
        string Meta(string key) => header.Metadata.TryGetValue(key, out string? value) ? value
            : throw SafeTensorsHeader.Invalid(path, $"has no '{key}' in its metadata; it is not a quantized StaticNets network");
        if (Meta("format") != Format) throw SafeTensorsHeader.Invalid(path, $"is a '{Meta("format")}' file, not a quantized StaticNets network ('{Format}')");
        if (Meta("version") != FormatVersion) throw SafeTensorsHeader.Invalid(path, $"is version {Meta("version")} of the int8 format; this library reads version {FormatVersion}");
        string crc = System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(dataStart)).ToString("x8", CultureInfo.InvariantCulture);
        if (crc != Meta("data_crc32"))
            throw SafeTensorsHeader.Invalid(path, $"is corrupted: its data's CRC-32 is {crc}, the file says {Meta("data_crc32")}");
        if (!Enum.TryParse(Meta("loss"), out Loss loss) || !Enum.IsDefined(loss))
            throw SafeTensorsHeader.Invalid(path, $"names an unknown loss '{Meta("loss")}'");
        if (!int.TryParse(Meta("layers"), NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1 || count > header.Entries.Count)
            throw SafeTensorsHeader.Invalid(path, $"gives '{Meta("layers")}' layers");

        var layers = new Int8Layer[count];
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (int l = 0; l < count; l++)
        {
            string prefix = $"layers.{l}.";
            byte[] Data(string name, string dtype, params int[] shape)
            {
                if (!header.TryGet(prefix + name, out var entry))
                    throw SafeTensorsHeader.Invalid(path, $"has no tensor '{prefix + name}'");
                if (entry.DType != dtype || !header.Shape(entry).SequenceEqual(shape.Select(d => (ulong)d).ToArray()))
                    throw SafeTensorsHeader.Invalid(path, $"has '{prefix + name}' as {entry.DType} [{string.Join(", ", header.Shape(entry).ToArray())}]; it must be {dtype} [{string.Join(", ", shape)}]");
                used.Add(prefix + name);
                return bytes.AsSpan(dataStart + (int)entry.Begin, (int)(entry.End - entry.Begin)).ToArray();
            }
            byte[] geometryBytes = Data("geometry", "I32", 11);
            var numbers = new int[11];
            for (int i = 0; i < 11; i++) numbers[i] = BinaryPrimitives.ReadInt32LittleEndian(geometryBytes.AsSpan(4 * i));
            LayerGeometry geometry = LayerGeometry.FromArray(numbers);
            if (!geometry.IsValid)
                throw SafeTensorsHeader.Invalid(path, $"has '{prefix}geometry' [{string.Join(", ", numbers)}], which no layer can have");
            if (!header.TryGet(prefix + "weight", out var weightEntry) || header.Shape(weightEntry).Length != 2)
                throw SafeTensorsHeader.Invalid(path, $"has no two-dimensional tensor '{prefix}weight'");
            ulong outs = header.Shape(weightEntry)[0], ins = header.Shape(weightEntry)[1];
            if (outs < 1 || outs > 1 << 24 || ins != (ulong)geometry.Patch || ins > int.MaxValue / (Int8Kernels.MaxActivation * Int8Kernels.MaxWeight))
                throw SafeTensorsHeader.Invalid(path, $"has '{prefix}weight' of shape [{outs}, {ins}] for patches of {geometry.Patch} values");
            int outputs = (int)outs, inputs = (int)ins;
            if (l > 0)
            {
                Int8Layer previous = layers[l - 1];
                LayerGeometry before = previous.Geometry;
                bool chains = geometry.IsDense
                    ? geometry.InputSize == previous.OutputSize
                    : geometry.Channels == previous.Outputs && geometry.Height == before.PooledHeight && geometry.Width == before.PooledWidth;
                if (!chains)
                    throw SafeTensorsHeader.Invalid(path, $"has layer {l} reading {geometry.Channels}×{geometry.Height}×{geometry.Width} values after a layer giving {previous.Outputs}×{before.PooledHeight}×{before.PooledWidth}");
            }
            if (l == count - 1 && !geometry.IsDense)
                throw SafeTensorsHeader.Invalid(path, "ends with a convolution; the last layer is a Dense");
            sbyte[] weights = (sbyte[])(Array)Data("weight", "I8", outputs, inputs);
            if (Array.IndexOf(weights, sbyte.MinValue) is int bad and >= 0)
                throw SafeTensorsHeader.Invalid(path, $"has weight {bad} of '{prefix}weight' at −128; quantized weights are −127 to 127");
            float[] scales = Floats(Data("weight_scale", "F32", outputs), positive: true, prefix + "weight_scale");
            float[] bias = Floats(Data("bias", "F32", outputs), positive: false, prefix + "bias");
            float inputScale = Floats(Data("input_scale", "F32", 1), positive: true, prefix + "input_scale")[0];
            int zeroPoint = Data("input_zero_point", "U8", 1)[0];
            if (zeroPoint > Int8Kernels.MaxActivation)
                throw SafeTensorsHeader.Invalid(path, $"has '{prefix}input_zero_point' {zeroPoint}; 7-bit activations have zero points 0 to {Int8Kernels.MaxActivation}");
            float slope = Floats(Data("negative_slope", "F32", 1), positive: false, prefix + "negative_slope")[0];
            layers[l] = new Int8Layer(Meta(prefix + "name"), geometry, outputs, weights, scales, bias, inputScale, zeroPoint, slope, Meta(prefix + "activation"));
        }
        if (header.Entries.FirstOrDefault(e => !used.Contains(e.Name)) is { Name: not null } extra)
            throw SafeTensorsHeader.Invalid(path, $"has a tensor '{SafeTensorsHeader.Shorten(extra.Name)}' that no layer of its {count} has");
        return new QuantizedNetwork(layers, loss, Meta("architecture"));

        float[] Floats(byte[] data, bool positive, string name)
        {
            var values = new float[data.Length / 4];
            WeightsFile.ReadFloats(data, values);
            for (int i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]) || (positive && !(values[i] > 0)))
                    throw SafeTensorsHeader.Invalid(path, $"has value {i} of '{name}' = {values[i].ToString(CultureInfo.InvariantCulture)}; it must be {(positive ? "positive and " : "")}finite");
            }
            return values;
        }
    }

    private static byte[] Ints(int[] values)
    {
        var data = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4 * i), values[i]);
        return data;
    }

    private static uint Checksum(IEnumerable<byte[]> parts)
    {
        var crc = new System.IO.Hashing.Crc32();
        foreach (byte[] part in parts) crc.Append(part);
        return crc.GetCurrentHashAsUInt32();
    }
}
