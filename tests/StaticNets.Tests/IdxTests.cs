using System.Buffers.Binary;
using System.IO.Compression;

namespace StaticNets.Tests;

public sealed class IdxTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("staticnets-idx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static byte[] Idx(byte type, int[] shape, byte[] data)
    {
        var bytes = new byte[4 + 4 * shape.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), shape[d]);
        data.CopyTo(bytes, 4 + 4 * shape.Length);
        return bytes;
    }

    private string Write(string name, byte[] bytes, bool gzip = false)
    {
        string path = Path.Combine(_folder, name);
        if (!gzip) File.WriteAllBytes(path, bytes);
        else
        {
            using var file = File.Create(path);
            using var zip = new GZipStream(file, CompressionLevel.Fastest);
            zip.Write(bytes);
        }
        return path;
    }

    [Fact]
    public void Reads_images_and_labels_raw_and_gzipped()
    {
        byte[] pixels = [0, 255, 128, 1, 2, 3, 4, 5];
        string images = Write("images.gz", Idx(0x08, [2, 2, 2], pixels), gzip: true);
        string labels = Write("labels", Idx(0x08, [2], [7, 3]));
        IdxArray array = StaticNets.Idx.Read(images);
        Assert.Equal([2, 2, 2], array.Shape);
        Assert.Equal(4, array.ItemSize);
        Assert.Equal(pixels.Select(p => (float)p), array.Values);
        Dataset data = StaticNets.Idx.LoadClassification(images, labels);
        Assert.Equal(2, data.Count);
        Assert.Equal(4, data.FeatureCount);
        Assert.Equal([7, 3], data.Labels!);
        Assert.Equal(1f, data.Features[1]);
    }

    [Fact]
    public void Reads_every_idx_type_big_endian()
    {
        var ints = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(ints, -5);
        BinaryPrimitives.WriteInt32BigEndian(ints.AsSpan(4), 70000);
        Assert.Equal([-5f, 70000f], StaticNets.Idx.Read(Write("i", Idx(0x0C, [2], ints))).Values);
        var floats = new byte[4];
        BinaryPrimitives.WriteSingleBigEndian(floats, 1.5f);
        Assert.Equal([1.5f], StaticNets.Idx.Read(Write("f", Idx(0x0D, [1], floats))).Values);
        var shorts = new byte[2];
        BinaryPrimitives.WriteInt16BigEndian(shorts, -300);
        Assert.Equal([-300f], StaticNets.Idx.Read(Write("s", Idx(0x0B, [1], shorts))).Values);
        Assert.Equal([-1f], StaticNets.Idx.Read(Write("b", Idx(0x09, [1], [0xFF]))).Values);
        var doubles = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(doubles, 0.25);
        Assert.Equal([0.25f], StaticNets.Idx.Read(Write("d", Idx(0x0E, [1], doubles))).Values);
    }

    public static TheoryData<string, byte[], string> Corruptions() => new()
    {
        { "wrong magic", [1, 0, 8, 1, 0, 0, 0, 1, 5], "two zero bytes" },
        { "unknown type", [0, 0, 0x42, 1, 0, 0, 0, 1, 5], "data type 0x42" },
        { "no dimensions", [0, 0, 8, 0], "0 dimensions" },
        { "short magic", [0, 0], "shorter than the 4-byte magic" },
        { "truncated header", [0, 0, 8, 3, 0, 0, 0, 2], "dimension sizes need 16 bytes" },
        { "truncated data", [0, 0, 8, 1, 0, 0, 0, 4, 1, 2], "needs 12 bytes and the file has 10" },
        { "extra bytes", [0, 0, 8, 1, 0, 0, 0, 1, 1, 2], "1 bytes after the data" },
        { "huge header", [0, 0, 8, 2, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF], "more than 268435456 values" },
        { "bad gzip", [0x1F, 0x8B, 8, 0, 1, 2, 3, 4, 5], "damaged or truncated gzip stream" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Corrupt_files_name_the_file_and_the_problem(string name, byte[] bytes, string fragment)
    {
        string path = Write(name.Replace(' ', '-'), bytes);
        var e = Assert.Throws<InvalidDataException>(() => StaticNets.Idx.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void A_gzip_file_cut_short_is_reported()
    {
        string whole = Write("whole.gz", Idx(0x08, [100, 10], Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray()), gzip: true);
        byte[] bytes = File.ReadAllBytes(whole);
        foreach (int length in new[] { bytes.Length / 2, bytes.Length - 5 })
        {
            string cut = Write($"cut{length}.gz", bytes[..length]);
            var e = Assert.Throws<InvalidDataException>(() => StaticNets.Idx.Read(cut));
            Assert.Contains(cut, e.Message);
            Assert.Contains("gzip", e.Message);
        }
    }

    [Fact]
    public void The_header_is_checked_before_the_data_is_read_or_memory_taken()
    {
        // A small gzip whose header claims 2^27 images of 28 × 28: refused from the header, with no large allocation.
        byte[] header = Idx(0x08, [1 << 27, 28, 28], new byte[1 << 20]);
        string path = Write("claims-a-lot.gz", header, gzip: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => StaticNets.Idx.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "the refusal allocated megabytes");
        Assert.Contains(path, e.Message);
        Assert.Contains("more than 268435456 values; the header is corrupted, or pass a larger maxValues", e.Message);

        // Within the limit but far more than the stream holds: memory follows the data that is there, then truncation.
        path = Write("claims-the-limit.gz", Idx(0x08, [1 << 28], new byte[1 << 20]), gzip: true);
        before = GC.GetAllocatedBytesForCurrentThread();
        e = Assert.Throws<InvalidDataException>(() => StaticNets.Idx.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "reading 1 MB of data allocated more than 16 MB");
        Assert.Contains("is truncated: shape [268435456] needs 268435464 bytes and the data ends after 1048584", e.Message);

        // 3 GiB of zeros (a sparse file): the magic number is wrong, and nothing more is read.
        path = Path.Combine(_folder, "zeros");
        using (var zeros = File.Create(path)) zeros.SetLength(3L << 30);
        e = Assert.Throws<InvalidDataException>(() => StaticNets.Idx.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("data type 0x00", e.Message);

        // A smaller limit refuses what the default reads; a larger one reads it.
        path = Write("hundred", Idx(0x08, [100], new byte[100]));
        Assert.Contains("more than 50 values", Assert.Throws<InvalidDataException>(() => StaticNets.Idx.Read(path, maxValues: 50)).Message);
        Assert.Equal(100, StaticNets.Idx.Read(path, maxValues: 100).Values.Length);
    }

    [Fact]
    public void Concatenated_gzip_members_are_one_stream()
    {
        // RFC 1952: a gzip file may hold several members, read one after another (cat a.gz b.gz).
        byte[] whole = Idx(0x08, [3, 4], Enumerable.Range(0, 12).Select(i => (byte)(i * 11)).ToArray());
        byte[] first = File.ReadAllBytes(Write("a.gz", whole[..9], gzip: true)), second = File.ReadAllBytes(Write("b.gz", whole[9..], gzip: true));
        string path = Write("ab.gz", [.. first, .. second]);
        IdxArray array = StaticNets.Idx.Read(path);
        Assert.Equal([3, 4], array.Shape);
        Assert.Equal(whole[12..].Select(b => (float)b), array.Values);
        // A damaged second member is still caught.
        byte[] damaged = [.. first, .. second];
        damaged[^6] ^= 0x40; // in the second member's CRC
        Assert.Contains("damaged or truncated gzip stream", Assert.Throws<InvalidDataException>(() => StaticNets.Idx.Read(Write("damaged.gz", damaged))).Message);
    }

    [Fact]
    public void Empty_images_images_without_pixels_and_NaN_pixels_name_the_file()
    {
        string labels = Write("labels", Idx(0x08, [0], []));
        string none = Write("no-images", Idx(0x08, [0, 28, 28], []));
        Assert.Contains($"'{none}' has shape [0, 28, 28]: no images", Assert.Throws<InvalidDataException>(() => StaticNets.Idx.LoadClassification(none, labels)).Message);

        string flat = Write("no-pixels", Idx(0x08, [2, 0, 28], []));
        Assert.Contains($"'{flat}' has shape [2, 0, 28]: images of no pixels", Assert.Throws<InvalidDataException>(() => StaticNets.Idx.LoadClassification(flat, labels)).Message);

        var floats = new byte[4 * 6];
        for (int i = 0; i < 6; i++) BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(4 * i), i == 4 ? float.NaN : i);
        string nan = Write("nan-pixels", Idx(0x0D, [2, 3], floats));
        string two = Write("two-labels", Idx(0x08, [2], [0, 1]));
        Assert.Contains($"'{nan}' holds NaN at value 4 (image 1); pixels must be finite", Assert.Throws<InvalidDataException>(() => StaticNets.Idx.LoadClassification(nan, two)).Message);
    }

    [Fact]
    public void Mismatched_counts_and_bad_labels_are_reported()
    {
        string images = Write("images", Idx(0x08, [3, 2], new byte[6]));
        string labels = Write("labels", Idx(0x08, [2], [1, 2]));
        var e = Assert.Throws<InvalidDataException>(() => StaticNets.Idx.LoadClassification(images, labels));
        Assert.Contains("has 2 labels but", e.Message);
        Assert.Contains("3 images", e.Message);
        string matrix = Write("matrix-labels", Idx(0x08, [3, 1], [1, 2, 3]));
        Assert.Contains("one-dimensional", Assert.Throws<InvalidDataException>(() => StaticNets.Idx.LoadClassification(images, matrix)).Message);
        Assert.Throws<FileNotFoundException>(() => StaticNets.Idx.Read(Path.Combine(_folder, "absent")));
    }
}
