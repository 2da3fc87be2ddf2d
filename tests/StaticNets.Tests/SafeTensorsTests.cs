using System.Buffers.Binary;
using System.Text;

namespace StaticNets.Tests;

/// <summary>
/// Safetensors files that break the format's rules are refused with the file and the tensor named, before anything
/// changes; reading takes memory in proportion to the file, and messages stay short however many tensors it lists.
/// </summary>
public sealed class SafeTensorsTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("staticnets-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const string Weight = "\"dense1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}";

    // LinearNet (Input(3) Dense(2)): dense1.weight [2, 3] then dense1.bias [2], 32 bytes of data.
    public static TheoryData<string, string, int, string> BadHeaders() => new()
    {
        // header JSON, data bytes, message fragment
        { "offsets near 2^63", "{" + Weight + ",\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[9223372036854775783,9223372036854775807]}}", 32, "'dense1.bias' at data_offsets [9223372036854775783, 9223372036854775807]" },
        { "offsets past 2^64", "{" + Weight + ",\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,18446744073709551616]}}", 32, "'dense1.bias' whose data_offsets holds something other than whole numbers" },
        { "negative offset", "{" + Weight + ",\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,32]}}", 32, "'dense1.bias' whose data_offsets holds" },
        { "a gap", "{" + Weight + ",\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[28,36]}}", 36, "leaves bytes [24, 28) unused" },
        { "an overlap", "{" + Weight + ",\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", 32, "'dense1.bias' at data_offsets [16, 24], which overlaps" },
        { "not from 0", "{\"dense1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]},\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[32,40]}}", 40, "leaves bytes [0, 8) unused" },
        { "trailing bytes", "{" + Weight + ",\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}", 40, "8 bytes after its last tensor" },
        { "too short", "{" + Weight + ",\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}", 30, "is truncated: its tensors need 32 bytes of data and it has 30" },
        { "size and shape disagree", "{" + Weight + ",\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[24,32]}}", 32, "'dense1.bias' of dtype F32 and shape [3], which needs 12 bytes" },
        { "shape overflows", "{" + Weight + ",\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[24,32]}}", 32, "needs 73786976294838206464 bytes" },
        { "ends before it begins", "{" + Weight + ",\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,16]}}", 32, "ends before it begins" },
        { "duplicate tensor", "{" + Weight + "," + Weight + "}", 48, "names 'dense1.weight' twice" },
        { "duplicate field", "{\"dense1.weight\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24, "'dense1.weight' with 'dtype' twice" },
        { "duplicate metadata key", "{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}," + Weight + "}", 24, "names 'a' twice in its '__metadata__'" },
        { "two metadata", "{\"__metadata__\":{},\"__metadata__\":{}," + Weight + "}", 24, "names '__metadata__' twice" },
        { "metadata not strings", "{\"__metadata__\":{\"a\":1}," + Weight + "}", 24, "'__metadata__' entry 'a' that is not a string" },
        { "unknown dtype", "{\"dense1.weight\":{\"dtype\":\"F31\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24, "'dense1.weight' of unknown dtype 'F31'" },
        { "missing offsets", "{\"dense1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3]}}", 0, "'dense1.weight' without data_offsets" },
        { "fractional shape", "{\"dense1.weight\":{\"dtype\":\"F32\",\"shape\":[2.5,3],\"data_offsets\":[0,24]}}", 24, "'dense1.weight' whose shape holds something other than whole numbers" },
        { "three offsets", "{\"dense1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,12,24]}}", 24, "'dense1.weight' whose data_offsets are not [begin, end]" },
        { "not an object", "[1,2]", 0, "not a JSON object" },
        { "text after the object", "{" + Weight + "} x", 24, "not valid JSON" },
        { "broken JSON", "{\"dense1.weight\":{\"dtype\":\"F32\",", 0, "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void A_header_that_breaks_the_rules_is_refused_naming_the_file_and_the_tensor(string why, string json, int dataBytes, string fragment)
    {
        string path = Write($"{why}.safetensors", Encoding.UTF8.GetBytes(json), new byte[dataBytes]);
        var net = new LinearNet(seed: 1);
        float[] before = net.Parameters.ToArray();
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(net, path));
        Assert.Contains(path, e.Message);
        Assert.True(e.Message.Contains(fragment, StringComparison.Ordinal), $"{why}: {e.Message}");
        Assert.Equal(before, net.Parameters.ToArray());
    }

    [Fact]
    public void A_header_longer_than_the_limit_or_the_file_is_refused_before_it_is_read()
    {
        string path = Path.Combine(_folder, "long.safetensors");
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100_000_001);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new LinearNet(), path));
        Assert.Contains("a length of 100000001 bytes; the format allows at most 100000000", e.Message);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 57);
        File.WriteAllBytes(path, bytes);
        e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new LinearNet(), path));
        Assert.Contains("header length 57 exceeds the 56 bytes after it", e.Message);
        File.WriteAllBytes(path, bytes.AsSpan(0, 5).ToArray());
        Assert.Contains("shorter than the 8-byte header length", Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new LinearNet(), path)).Message);
    }

    [Fact]
    public void A_header_of_many_entries_takes_memory_in_proportion_and_gives_a_short_message()
    {
        // 300,000 one-value tensors the network does not have (about 20 MB of header): reading is bounded by a small
        // multiple of the file's size, and the error lists a few names and a count, not all of them.
        const int count = 300_000;
        var json = new StringBuilder("{" + Weight + ",\"dense1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}");
        for (int i = 0; i < count; i++)
            json.Append($",\"extra.{i}\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[{32 + 4 * i},{36 + 4 * i}]}}");
        json.Append('}');
        string path = Write("many.safetensors", Encoding.UTF8.GetBytes(json.ToString()), new byte[32 + 4 * count]);
        long size = new FileInfo(path).Length;

        var net = new LinearNet();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(net, path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"loading a {size}-byte file allocated {allocated} bytes");
        Assert.True(allocated < 8 * size, $"loading a {size}-byte file allocated {allocated} bytes");
        Assert.Contains("and 299995 more", e.Message);
        Assert.True(e.Message.Length < 600, $"a message of {e.Message.Length} characters");

        SafeTensors.Load(net, path, strict: false); // the same file is fine when extra tensors are allowed
    }

    [Fact]
    public void A_missing_tensor_names_a_few_of_the_others()
    {
        var json = new StringBuilder("{");
        for (int i = 0; i < 50; i++)
            json.Append($"{(i > 0 ? "," : "")}\"other.{i:D2}\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[{4 * i},{4 * i + 4}]}}");
        string path = Write("missing.safetensors", Encoding.UTF8.GetBytes(json.Append('}').ToString()), new byte[200]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new LinearNet(), path));
        Assert.Contains("has no tensor 'dense1.weight' for dense1.weight; it has 'other.00', 'other.01', 'other.02', 'other.03', 'other.04' and 45 more", e.Message);
    }

    [Fact]
    public void Saving_maps_names_and_refuses_a_map_that_gives_two_tensors_one_name()
    {
        var net = new LinearNet(seed: 3);
        var map = new Dictionary<string, string> { ["dense1.weight"] = "0.weight", ["dense1.bias"] = "0.bias" };
        string path = Path.Combine(_folder, "mapped.safetensors");
        SafeTensors.Save(net, path, map);
        var loaded = new LinearNet(seed: 4);
        SafeTensors.Load(loaded, path, map);
        Assert.Equal(net.Parameters.ToArray(), loaded.Parameters.ToArray());
        Assert.Contains("has no tensor 'dense1.weight'", Assert.Throws<InvalidDataException>(() => SafeTensors.Load(loaded, path)).Message);

        var clash = new Dictionary<string, string> { ["dense1.weight"] = "w", ["dense1.bias"] = "w" };
        Assert.Contains("gives 'w' to dense1.weight and dense1.bias", Assert.Throws<ArgumentException>(() => SafeTensors.Save(net, path, clash)).Message);
    }

    // What PyTorch's state_dict() names for nn.Sequential(nn.Linear(7, 19), nn.PReLU(19), nn.Linear(19, 9),
    // nn.BatchNorm1d(9), nn.PReLU(9), nn.Linear(9, 3)), the module for PReLUNet; num_batches_tracked is skipped on load.
    [Fact]
    public void The_generated_map_gives_the_names_of_a_PyTorch_Sequential_built_in_attribute_order()
    {
        Assert.Equal(new Dictionary<string, string>
        {
            ["dense1.weight"] = "0.weight", ["dense1.bias"] = "0.bias", ["prelu1.weight"] = "1.weight",
            ["dense2.weight"] = "2.weight", ["dense2.bias"] = "2.bias",
            ["batchnorm1.weight"] = "3.weight", ["batchnorm1.bias"] = "3.bias",
            ["batchnorm1.running_mean"] = "3.running_mean", ["batchnorm1.running_var"] = "3.running_var",
            ["prelu2.weight"] = "4.weight", ["dense3.weight"] = "5.weight", ["dense3.bias"] = "5.bias",
        }, PReLUNet.PyTorchSequentialNames);
        // Activations and dropout count as modules: DropoutNet is Linear, Tanh, Dropout, Linear.
        Assert.Equal("3.weight", DropoutNet.PyTorchSequentialNames["dense2.weight"]);

        var net = new PReLUNet(seed: 3);
        TestData.Normal(net.State.Length, new Rng(5)).AsSpan().CopyTo(net.State);
        for (int i = net.StateTensors[1].Offset; i < net.StateTensors[1].Offset + net.StateTensors[1].Length; i++) net.State[i] = 1 + MathF.Abs(net.State[i]);
        string path = Path.Combine(_folder, "sequential.safetensors");
        SafeTensors.Save(net, path, PReLUNet.PyTorchSequentialNames);
        var loaded = new PReLUNet(seed: 4);
        SafeTensors.Load(loaded, path, PReLUNet.PyTorchSequentialNames);
        Assert.Equal(net.Parameters.ToArray(), loaded.Parameters.ToArray());
        Assert.Equal(net.State.ToArray(), loaded.State.ToArray());
        Assert.Throws<NotSupportedException>(() => ((IDictionary<string, string>)PReLUNet.PyTorchSequentialNames)["x"] = "y");
    }

    // Maxout and SaveAs/Add have no torch.nn module: no map that would mislead.
    [Fact]
    public void Networks_with_no_Sequential_equivalent_have_no_map()
    {
        Assert.Null(typeof(SkipNet).GetProperty("PyTorchSequentialNames"));
        Assert.Null(typeof(MaxoutNet).GetProperty("PyTorchSequentialNames"));
        Assert.NotNull(typeof(BatchNormNet).GetProperty("PyTorchSequentialNames"));
    }

    private string Write(string name, byte[] json, byte[] data)
    {
        string path = Path.Combine(_folder, name);
        using var file = File.Create(path);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        file.Write(length);
        file.Write(json);
        file.Write(data);
        return path;
    }
}
