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
    public int ItemSize => Count == 0 ? 0 : Values.Length / Count;
}

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (LeCun et al.): two zero bytes, a type code, the
/// number of dimensions, big-endian u32 sizes, then big-endian data. Gzip-compressed files (as
/// published; several concatenated gzip members too) are recognized by their magic bytes. The header is
/// checked before anything else is read; the data then goes into a buffer sized from the header (grown as the data
/// arrives, for gzip, whose inflated size the file does not reveal) and reading stops at the size the header gives.
/// A wrong magic number, an unknown type, a truncated or overlong file, a damaged gzip stream or mismatched
/// image and label counts throw <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class Idx
{
    /// <summary>
    /// The most values read by default (2²⁸, a gigabyte of floats), so a corrupted header cannot ask for more memory
    /// than a data set plausibly needs; pass a larger <c>maxValues</c> to read more.
    /// </summary>
    public const long MaxValues = 1L << 28;

    /// <summary>Reads an IDX file, raw or gzip-compressed, of at most <paramref name="maxValues"/> values.</summary>
    public static IdxArray Read(string path, long maxValues = MaxValues)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No IDX file at '{Path.GetFullPath(path)}'.", path);
        using FileStream file = File.OpenRead(path);
        return Read(file, path, maxValues);
    }

    /// <summary>Reads an IDX stream of at most <paramref name="maxValues"/> values; <paramref name="source"/> names it in errors.</summary>
    public static IdxArray Read(Stream stream, string source, long maxValues = MaxValues)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxValues);
        var magic = new byte[2];
        int got = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        if (got == 2 && magic[0] == 0x1F && magic[1] == 0x8B)
        {
            // The inflater stops quietly where a stream is cut off. Eight zero bytes after the end make a cut-off
            // trailer fail its checksum instead; after a whole stream they are ignored.
            using var gzip = new GZipStream(new PaddedStream(new PrefixedStream(magic, stream), 8), CompressionMode.Decompress);
            return ReadIdx(new GzipErrors(gzip, source), source, maxValues, knownLength: -1);
        }
        long length = stream.CanSeek ? stream.Length - stream.Position + got : -1;
        return ReadIdx(new PrefixedStream(magic.AsSpan(0, got).ToArray(), stream), source, maxValues, length);
    }

    // The header, then exactly the data it describes. `knownLength` is the stream's size when it is known up front.
    private static IdxArray ReadIdx(Stream stream, string source, long maxValues, long knownLength)
    {
        var fixedPart = new byte[4];
        int got = stream.ReadAtLeast(fixedPart, 4, throwOnEndOfStream: false);
        if (got < 4)
            throw Invalid(source, $"is truncated: {got} bytes, shorter than the 4-byte magic number");
        if (fixedPart[0] != 0 || fixedPart[1] != 0)
            throw Invalid(source, $"has magic number 0x{fixedPart[0]:X2}{fixedPart[1]:X2}{fixedPart[2]:X2}{fixedPart[3]:X2}; an IDX file starts with two zero bytes");
        int type = fixedPart[2], rank = fixedPart[3];
        int width = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, 0x0E => 8, _ => 0 };
        if (width == 0)
            throw Invalid(source, $"has data type 0x{type:X2} in its magic number; IDX types are 0x08, 0x09, 0x0B, 0x0C, 0x0D and 0x0E");
        if (rank < 1)
            throw Invalid(source, "has 0 dimensions in its magic number");
        int header = 4 + 4 * rank;
        var sizes = new byte[4 * rank];
        got = stream.ReadAtLeast(sizes, sizes.Length, throwOnEndOfStream: false);
        if (got < sizes.Length)
            throw Invalid(source, $"is truncated: its {rank} dimension sizes need {header} bytes and the file has {4 + got}");
        var shape = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(sizes.AsSpan(4 * d));
            if (size > int.MaxValue) throw Invalid(source, $"has dimension {d} of size {size}, too large");
            shape[d] = (int)size;
            count *= size;
            if (count > maxValues)
                throw Invalid(source, $"has shape [{string.Join(", ", shape.Take(d + 1))}{(d + 1 < rank ? ", ..." : "")}], more than {maxValues} values; the header is corrupted, or pass a larger maxValues to read a file this large");
        }
        long expected = header + count * width;
        if (knownLength >= 0 && knownLength < expected)
            throw Invalid(source, $"is truncated: shape [{string.Join(", ", shape)}] needs {expected} bytes and the file has {knownLength}");
        if (knownLength > expected)
            throw Invalid(source, $"has {knownLength - expected} bytes after the data its shape [{string.Join(", ", shape)}] describes");

        byte[] data = ReadBody(stream, count * width, knownLength >= 0, source, shape, header);
        var values = new float[count];
        if (type == 0x08)
        {
            // Unsigned bytes (every MNIST-style image and label file): one vectorized conversion.
            System.Numerics.Tensors.TensorPrimitives.ConvertChecked<byte, float>(data, values);
            return new IdxArray(shape, values);
        }
        ReadOnlySpan<byte> bytes = data;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = type switch
            {
                0x09 => (sbyte)bytes[i],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(bytes[(2 * i)..]),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(bytes[(4 * i)..]),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(bytes[(4 * i)..]),
                _ => (float)BinaryPrimitives.ReadDoubleBigEndian(bytes[(8 * i)..]),
            };
        }
        return new IdxArray(shape, values);
    }

    // Exactly `length` bytes, then the end of the stream. A stream of known size was checked already, so its buffer is
    // sized at once; otherwise it grows as data arrives, so a header that promises more than the stream holds costs
    // no more memory than the data that is there.
    private static byte[] ReadBody(Stream stream, long length, bool sized, string source, int[] shape, int header)
    {
        if (length > Array.MaxLength)
            throw Invalid(source, $"has shape [{string.Join(", ", shape)}], more data ({length} bytes) than one array holds");
        const int FirstChunk = 1 << 20;
        var buffer = new byte[sized ? length : Math.Min(length, FirstChunk)];
        long filled = 0;
        while (filled < length)
        {
            if (filled == buffer.Length)
                Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
            int read = stream.Read(buffer, (int)filled, (int)(buffer.Length - filled));
            if (read == 0)
                throw Invalid(source, $"is truncated: shape [{string.Join(", ", shape)}] needs {header + length} bytes and the data ends after {header + filled}");
            filled += read;
        }
        Span<byte> probe = stackalloc byte[1];
        if (stream.Read(probe) != 0)
            throw Invalid(source, $"has bytes after the data its shape [{string.Join(", ", shape)}] describes");
        return buffer;
    }

    /// <summary>
    /// Loads images and labels as a classification set: each image flattened, pixel values multiplied by
    /// <paramref name="scale"/> (1/255 maps bytes to [0, 1]); checks the two files describe the same number of
    /// items, that there are images and each has pixels, that pixels are finite and labels whole numbers from 0.
    /// </summary>
    public static Dataset LoadClassification(string imagesPath, string labelsPath, float scale = 1f / 255f, long maxValues = MaxValues)
    {
        IdxArray images = Read(imagesPath, maxValues), labels = Read(labelsPath, maxValues);
        if (images.Count == 0)
            throw Invalid(imagesPath, $"has shape [{string.Join(", ", images.Shape)}]: no images");
        if (images.ItemSize == 0)
            throw Invalid(imagesPath, $"has shape [{string.Join(", ", images.Shape)}]: images of no pixels");
        if (labels.Shape.Length != 1)
            throw Invalid(labelsPath, $"has shape [{string.Join(", ", labels.Shape)}]; labels are one-dimensional");
        if (images.Count != labels.Count)
            throw Invalid(labelsPath, $"has {labels.Count} labels but '{imagesPath}' has {images.Count} images");
        if (!Guard.AllFinite(images.Values))
        {
            int at = images.Values.AsSpan().IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
            throw Invalid(imagesPath, $"holds {images.Values[at]} at value {at} (image {at / images.ItemSize}); pixels must be finite");
        }
        var classes = new int[labels.Count];
        for (int i = 0; i < classes.Length; i++)
        {
            float v = labels.Values[i];
            if (!(v >= 0) || v != MathF.Floor(v) || v > int.MaxValue) throw Invalid(labelsPath, $"holds label {v} at {i}; labels are whole numbers from 0");
            classes[i] = (int)v;
        }
        if (scale != 1f)
            System.Numerics.Tensors.TensorPrimitives.Multiply(images.Values, scale, images.Values);
        return Dataset.Classification(images.Values, images.ItemSize, classes);
    }

    private static InvalidDataException Invalid(string source, string problem) => new($"IDX file '{source}' {problem}.");

    /// <summary>The bytes already read to sniff the format, then the rest of the stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream inner) : ReadOnlyStream
    {
        private int _at;

        public override int Read(Span<byte> buffer)
        {
            if (_at < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - _at);
                prefix.AsSpan(_at, n).CopyTo(buffer);
                _at += n;
                return n;
            }
            return inner.Read(buffer);
        }
    }

    /// <summary>The inflated stream, its errors reported with the file's name.</summary>
    private sealed class GzipErrors(Stream gzip, string source) : ReadOnlyStream
    {
        public override int Read(Span<byte> buffer)
        {
            try
            {
                return gzip.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                throw Invalid(source, $"is a damaged or truncated gzip stream ({e.Message.TrimEnd('.')})");
            }
        }
    }

    /// <summary>The stream, then <paramref name="count"/> zero bytes.</summary>
    private sealed class PaddedStream(Stream inner, int count) : ReadOnlyStream
    {
        private int _left = count;
        private bool _ended;

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty) return 0;
            int read = _ended ? 0 : inner.Read(buffer);
            if (read > 0) return read;
            _ended = true;
            int n = Math.Min(buffer.Length, _left);
            buffer[..n].Clear();
            _left -= n;
            return n;
        }
    }

    private abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
