using System.Buffers.Binary;

namespace StaticNets.Tests;

public sealed class WeightsFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("staticnets-weights-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    private static BatchNormNet Trained(int seed)
    {
        var net = new BatchNormNet(seed, maxBatchSize: 8);
        var rng = new Rng((ulong)seed);
        for (int i = 0; i < 3; i++)
        {
            net.ComputeGradients(TestData.Normal(8 * BatchNormNet.InputSize, rng), TestData.Normal(8 * BatchNormNet.OutputSize, rng), 8);
            new Sgd(0.1f).Step(net);
        }
        return net;
    }

    private static (float[] Parameters, float[] State) Snapshot(INetwork net) => (net.Parameters.ToArray(), net.State.ToArray());

    private static void AssertUnchanged(INetwork net, (float[] Parameters, float[] State) before)
    {
        Assert.Equal(before.Parameters, net.Parameters.ToArray());
        Assert.Equal(before.State, net.State.ToArray());
    }

    [Fact]
    public void Weights_round_trip_bit_exactly_with_running_statistics()
    {
        var saved = Trained(1);
        WeightsFile.Save(saved, PathOf("net.snw"));
        var loaded = new BatchNormNet(seed: 2);
        WeightsFile.Load(loaded, PathOf("net.snw"));
        Assert.Equal(saved.Parameters.ToArray(), loaded.Parameters.ToArray());
        Assert.Equal(saved.State.ToArray(), loaded.State.ToArray());
        Assert.NotEqual(new float[] { 0f, 1f }, loaded.BatchNorm1RunningMean.Slice(0, 2).ToArray());
        var x = TestData.Normal(BatchNormNet.InputSize, new Rng(3));
        float[] a = new float[3], b = new float[3];
        saved.Predict(x, a);
        loaded.Predict(x, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Every_truncation_is_reported_and_changes_nothing()
    {
        byte[] bytes = WeightsFile.Serialize(Trained(1));
        var net = new BatchNormNet(seed: 5);
        var before = Snapshot(net);
        foreach (int length in new[] { 0, 3, 11, 12, 40, 80, bytes.Length / 2, bytes.Length - 5, bytes.Length - 1 })
        {
            var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Deserialize(net, bytes.AsSpan(0, length), "cut.snw"));
            Assert.Contains("cut.snw", e.Message);
            Assert.Contains("truncated", e.Message);
            AssertUnchanged(net, before);
        }
    }

    [Fact]
    public void Flipped_bytes_anywhere_are_caught_and_change_nothing()
    {
        byte[] bytes = WeightsFile.Serialize(Trained(1));
        var net = new BatchNormNet(seed: 5);
        var before = Snapshot(net);
        for (int position = 4; position < bytes.Length; position += bytes.Length / 37)
        {
            byte[] corrupt = (byte[])bytes.Clone();
            corrupt[position] ^= 0x10;
            var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Deserialize(net, corrupt, "flipped.snw"));
            Assert.Contains("flipped.snw", e.Message);
            AssertUnchanged(net, before);
        }
        byte[] last = (byte[])bytes.Clone();
        last[^1] ^= 1;
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => WeightsFile.Deserialize(net, last)).Message);
        byte[] magic = (byte[])bytes.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("not a StaticNets weights file", Assert.Throws<InvalidDataException>(() => WeightsFile.Deserialize(net, magic)).Message);
    }

    [Fact]
    public void A_file_written_by_an_earlier_version_still_loads()
    {
        // Written by the code before this library computed its checksum with System.IO.Hashing: the same CRC-32.
        byte[] file = Convert.FromHexString(
        "534e57460100000033000000496e7075742833292044656e73652834292054616e682044656e7365283229202d3e204d" +
        "65616e537175617265644572726f721a000000000000008c27be3eadc0d1be7cfd203fc60c643f73ad683fc7b3303f56" +
        "3650bf5c813bbf819436becd0b25bf5ddf9c3d91cfdb3e0000000000000000000000000000000019c0603fdffe423f30" +
        "fcc6bd615cf93d2a24f9bee0348abd3edf2fbf748b3bbf0000000000000000c81d9ec5");
        var net = new GoldenNet();
        WeightsFile.Deserialize(net, file, "golden-v1.snw");
        Assert.Equal(new GoldenNet(seed: 7).Parameters.ToArray(), net.Parameters.ToArray());
        Assert.Equal(file, WeightsFile.Serialize(net));
    }

    [Fact]
    public void A_file_from_another_architecture_is_refused()
    {
        WeightsFile.Save(new PReLUNet(seed: 1), PathOf("prelu.snw"));
        var net = new BatchNormNet(seed: 5);
        var before = Snapshot(net);
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(net, PathOf("prelu.snw")));
        Assert.Contains("different network", e.Message);
        Assert.Contains(BatchNormNet.Architecture, e.Message);
        Assert.Contains(PReLUNet.Architecture, e.Message);
        AssertUnchanged(net, before);
    }

    [Fact]
    public void A_file_holding_NaN_is_refused_and_NaN_weights_are_not_saved()
    {
        // A file with a valid checksum but a NaN inside: written by hand with the format's own checksum.
        byte[] bytes = WeightsFile.Serialize(Trained(1));
        int firstParameter = 12 + BatchNormNet.Architecture.Length + 8;
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(firstParameter + 4 * 3), float.NaN);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)));
        var net = new BatchNormNet(seed: 5);
        var before = Snapshot(net);
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Deserialize(net, bytes, "nan.snw"));
        Assert.Contains("dense1.weight[3] = NaN", e.Message);
        AssertUnchanged(net, before);

        net.Parameters[0] = float.PositiveInfinity;
        Assert.Throws<InvalidOperationException>(() => WeightsFile.Save(net, PathOf("bad.snw")));
        Assert.False(File.Exists(PathOf("bad.snw")));
    }

    [Fact]
    public void An_interrupted_save_leaves_the_previous_file_intact()
    {
        string path = PathOf("model.snw");
        WeightsFile.Save(Trained(1), path);
        byte[] previous = File.ReadAllBytes(path);
        var other = Trained(2);
        Assert.Throws<IOException>(() => WeightsFile.Save(other, path, stream => new FailingStream(stream, failAfter: 100)));
        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal(["model.snw"], Directory.GetFiles(_folder).Select(Path.GetFileName));
        Assert.Throws<DirectoryNotFoundException>(() => WeightsFile.Save(other, PathOf("missing/model.snw")));
        Assert.Throws<FileNotFoundException>(() => WeightsFile.Load(other, PathOf("absent.snw")));
    }

    [Fact]
    public void Safetensors_round_trip_with_pytorch_names_and_shapes()
    {
        var saved = Trained(1);
        SafeTensors.Save(saved, PathOf("net.safetensors"));
        byte[] bytes = File.ReadAllBytes(PathOf("net.safetensors"));
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        string header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.Contains("\"dense1.weight\":{\"dtype\":\"F32\",\"shape\":[19,7]", header);
        Assert.Contains("\"batchnorm1.running_var\":{\"dtype\":\"F32\",\"shape\":[19]", header);

        var loaded = new BatchNormNet(seed: 9);
        SafeTensors.Load(loaded, PathOf("net.safetensors"));
        Assert.Equal(saved.Parameters.ToArray(), loaded.Parameters.ToArray());
        Assert.Equal(saved.State.ToArray(), loaded.State.ToArray());
    }

    [Fact]
    public void Safetensors_from_pytorch_load_through_a_name_map()
    {
        // What torch's save_file writes for nn.Linear(3, 2) called "fc1": weight [out, in], bias [out], here in F64.
        double[] weight = [1, 2, 3, 4, 5, 6];
        double[] bias = [0.5, -0.5];
        string path = PathOf("torch.safetensors");
        WriteSafetensors(path, ("fc1.bias", "F64", [2], bias), ("fc1.weight", "F64", [2, 3], weight));
        var net = new LinearNet(seed: 1);
        SafeTensors.Load(net, path, new Dictionary<string, string> { ["dense1.weight"] = "fc1.weight", ["dense1.bias"] = "fc1.bias" });
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], net.Dense1Weights.ToArray());
        Assert.Equal([0.5f, -0.5f], net.Dense1Bias.ToArray());

        var before = Snapshot(net);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(net, path));
        Assert.Contains("no tensor 'dense1.weight'", e.Message);
        WriteSafetensors(path, ("dense1.bias", "F32", [2], [0, 0]), ("dense1.weight", "F32", [3, 2], weight));
        e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(net, path));
        Assert.Contains("shape [3, 2]; dense1.weight needs [2, 3]", e.Message);
        AssertUnchanged(net, before);
    }

    private static void WriteSafetensors(string path, params (string Name, string DType, long[] Shape, double[] Values)[] tensors)
    {
        var data = new MemoryStream();
        var header = new System.Text.StringBuilder("{");
        foreach (var t in tensors)
        {
            long begin = data.Length;
            foreach (double v in t.Values)
            {
                if (t.DType == "F64") data.Write(BitConverter.GetBytes(v));
                else data.Write(BitConverter.GetBytes((float)v));
            }
            header.Append($"\"{t.Name}\":{{\"dtype\":\"{t.DType}\",\"shape\":[{string.Join(",", t.Shape)}],\"data_offsets\":[{begin},{data.Length}]}},");
        }
        header[^1] = '}';
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header.ToString());
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        file.Write(data.ToArray());
    }

    private sealed class FailingStream(Stream inner, int failAfter) : Stream
    {
        private int _written;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            int room = Math.Max(0, failAfter - _written);
            inner.Write(buffer[..Math.Min(room, buffer.Length)]);
            _written += buffer.Length;
            if (_written > failAfter) throw new IOException("simulated failure midway through the write");
        }
    }
}

[Network(Loss = Loss.MeanSquaredError)]
[Input(3)] [Dense(4)] [Tanh] [Dense(2)]
public partial class GoldenNet;
