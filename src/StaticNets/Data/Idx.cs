using System.Buffers.Binary;
using System.IO.Compression;

namespace StaticNets;

/// <summary>An IDX array: its shape (first dimension = items) and its values as floats.</summary>
/// <param name="Shape">Dimensions, outermost first (e.g. [60000, 28, 28]).</param>
/// <param name="Values">Every value in row-major order.</param>
public sealed record IdxArray(int[] Shape, float[] Values)
{
    /// <summary>The first dimension (images or labels).</summary>
    public int Count => Shape[0];

    /// <summary>Values per item (e.g. 784 for 28 × 28 images).</summary>
    public int ItemSize => Values.Length / Math.Max(1, Count);
}

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (LeCun et al.): two zero bytes, a type code, the
/// number of dimensions, big-endian u32 sizes, then big-endian data. Gzip-compressed files (as
/// published) are recognized by their magic bytes. A wrong magic number, an unknown type, a truncated
/// file or mismatched image and label counts throw <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class Idx
{
    /// <summary>The largest array read, to refuse a corrupted header rather than allocate without bound.</summary>
    public const long MaxValues = 1L << 30;

    /// <summary>Reads an IDX file, raw or gzip-compressed.</summary>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No IDX file at '{Path.GetFullPath(path)}'.", path);
        using FileStream file = File.OpenRead(path);
        return Read(file, path);
    }

    /// <summary>Reads an IDX stream; <paramref name="source"/> names it in errors.</summary>
    public static IdxArray Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] bytes;
        try
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            bytes = buffer.ToArray();
            if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
            {
                using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var inflated = new MemoryStream();
                gzip.CopyTo(inflated);
                // A cut-off gzip stream inflates to a prefix without an error; its 8-byte trailer ends
                // with the uncompressed size (mod 2³²), which then disagrees.
                uint size = bytes.Length >= 18 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)) : uint.MaxValue;
                if (size != (uint)inflated.Length)
                    throw Invalid(source, $"is a truncated or corrupted gzip stream: it inflates to {inflated.Length} bytes where its trailer records {size}");
                bytes = inflated.ToArray();
            }
        }
        catch (InvalidDataException e)
        {
            throw Invalid(source, $"is not a valid gzip stream ({e.Message})");
        }
        return Parse(bytes, source);
    }

    /// <summary>
    /// Loads images and labels as a classification set: each image flattened, pixel values multiplied by
    /// <paramref name="scale"/> (1/255 maps bytes to [0, 1]); checks the two files describe the same number of items.
    /// </summary>
    public static Dataset LoadClassification(string imagesPath, string labelsPath, float scale = 1f / 255f)
    {
        IdxArray images = Read(imagesPath), labels = Read(labelsPath);
        if (labels.Shape.Length != 1)
            throw Invalid(labelsPath, $"has shape [{string.Join(", ", labels.Shape)}]; labels are one-dimensional");
        if (images.Count != labels.Count)
            throw Invalid(labelsPath, $"has {labels.Count} labels but '{imagesPath}' has {images.Count} images");
        var classes = new int[labels.Count];
        for (int i = 0; i < classes.Length; i++)
        {
            float v = labels.Values[i];
            if (v < 0 || v != MathF.Floor(v)) throw Invalid(labelsPath, $"holds label {v} at {i}; labels are non-negative integers");
            classes[i] = (int)v;
        }
        if (scale != 1f)
            System.Numerics.Tensors.TensorPrimitives.Multiply(images.Values, scale, images.Values);
        return Dataset.Classification(images.Values, images.ItemSize, classes);
    }

    private static IdxArray Parse(byte[] bytes, string source)
    {
        if (bytes.Length < 4)
            throw Invalid(source, $"is truncated: {bytes.Length} bytes, shorter than the 4-byte magic number");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw Invalid(source, $"has magic number 0x{bytes[0]:X2}{bytes[1]:X2}{bytes[2]:X2}{bytes[3]:X2}; an IDX file starts with two zero bytes");
        int type = bytes[2], rank = bytes[3];
        int width = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, 0x0E => 8, _ => 0 };
        if (width == 0)
            throw Invalid(source, $"has data type 0x{type:X2} in its magic number; IDX types are 0x08, 0x09, 0x0B, 0x0C, 0x0D and 0x0E");
        if (rank < 1)
            throw Invalid(source, "has 0 dimensions in its magic number");
        int header = 4 + 4 * rank;
        if (bytes.Length < header)
            throw Invalid(source, $"is truncated: its {rank} dimension sizes need {header} bytes and the file has {bytes.Length}");
        var shape = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (size > int.MaxValue) throw Invalid(source, $"has dimension {d} of size {size}, too large");
            shape[d] = (int)size;
            count *= size;
            if (count > MaxValues) throw Invalid(source, $"describes more than {MaxValues} values; the header is corrupted or the file too large");
        }
        long expected = header + count * width;
        if (bytes.Length < expected)
            throw Invalid(source, $"is truncated: shape [{string.Join(", ", shape)}] needs {expected} bytes and the file has {bytes.Length}");
        if (bytes.Length > expected)
            throw Invalid(source, $"has {bytes.Length - expected} bytes after the data its shape [{string.Join(", ", shape)}] describes");

        var values = new float[count];
        ReadOnlySpan<byte> data = bytes.AsSpan(header);
        if (type == 0x08)
        {
            // Unsigned bytes (every MNIST-style image and label file): one vectorized conversion.
            System.Numerics.Tensors.TensorPrimitives.ConvertChecked<byte, float>(data, values);
            return new IdxArray(shape, values);
        }
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = type switch
            {
                0x09 => (sbyte)data[i],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(data[(2 * i)..]),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(data[(4 * i)..]),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(data[(4 * i)..]),
                _ => (float)BinaryPrimitives.ReadDoubleBigEndian(data[(8 * i)..]),
            };
        }
        return new IdxArray(shape, values);
    }

    private static InvalidDataException Invalid(string source, string problem) => new($"IDX file '{source}' {problem}.");
}
