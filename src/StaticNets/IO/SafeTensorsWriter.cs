using System.Buffers.Binary;
using System.Text.Json;

namespace StaticNets;

/// <summary>One tensor to write: its name, safetensors dtype ("F32", "I8", ...), shape and little-endian bytes.</summary>
internal readonly record struct SafeTensor(string Name, string DType, int[] Shape, byte[] Data);

/// <summary>
/// Writes a safetensors file atomically: the 8-byte header length, the JSON header (metadata first, then each tensor's
/// dtype, shape and data_offsets, in order, without gaps), padded with spaces so the data starts 8-byte aligned, then the data.
/// </summary>
internal static class SafeTensorsWriter
{
    public static void Write(string path, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<SafeTensor> tensors)
    {
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WritePropertyName("__metadata__");
            json.WriteStartObject();
            foreach (var (key, value) in metadata) json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            foreach (SafeTensor t in tensors)
            {
                json.WritePropertyName(t.Name);
                json.WriteStartObject();
                json.WriteString("dtype", t.DType);
                json.WritePropertyName("shape");
                json.WriteStartArray();
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WritePropertyName("data_offsets");
                json.WriteStartArray();
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += t.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int headerLength = (int)((header.Length + 7) / 8 * 8);
        long dataLength = tensors.Sum(t => (long)t.Data.Length);
        var bytes = new byte[8 + headerLength + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)headerLength);
        header.ToArray().CopyTo(bytes, 8);
        bytes.AsSpan(8 + (int)header.Length, headerLength - (int)header.Length).Fill((byte)' ');
        long at = 8 + headerLength;
        foreach (SafeTensor t in tensors)
        {
            t.Data.CopyTo(bytes.AsSpan((int)at));
            at += t.Data.Length;
        }
        AtomicFile.Write(path, bytes);
    }

    /// <summary>Floats as F32 bytes.</summary>
    public static byte[] Floats(ReadOnlySpan<float> values)
    {
        var data = new byte[4 * values.Length];
        WeightsFile.WriteFloats(values, data);
        return data;
    }
}
