using System.Numerics.Tensors;

namespace StaticNets;

/// <summary>
/// Random changes to image samples (channels × height × width, NCHW) that keep their label: a horizontal flip, a shift
/// (a random crop of the image padded by <see cref="MaxShift"/> pixels), brightness and contrast changes, Gaussian
/// noise, and cutout (a square set to the fill value). Set <see cref="Trainer{TNetwork}.Augmentation"/> and every
/// training sample is changed anew each epoch; <see cref="TestTimeAugmentation"/> averages predictions over changed copies.
/// </summary>
/// <remarks>
/// Each change is drawn from a generator seeded with the sample's own seed (the trainer derives it from its seed, the
/// epoch and the sample's index), so results do not depend on the batch, the thread count or the order of the samples,
/// and the same seed gives the same image. <see cref="Apply"/> allocates nothing and may run on many threads at once.
/// The values are those the network sees: after standardization, the fill value is where black pixels landed.
/// </remarks>
public sealed class ImageAugmentation
{
    /// <summary>An augmentation of images of the given shape; every change is off until set.</summary>
    public ImageAugmentation(int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        (Channels, Height, Width) = (channels, height, width);
    }

    /// <summary>Channels of a sample.</summary>
    public int Channels { get; }

    /// <summary>Rows of each channel.</summary>
    public int Height { get; }

    /// <summary>Columns of each channel.</summary>
    public int Width { get; }

    /// <summary>Values per sample.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>Mirror left to right with probability 1/2 (for classes that look the same mirrored).</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>Shift by up to this many pixels in each direction, uniformly (0 to Height/2), filling with <see cref="FillValue"/>.</summary>
    public int MaxShift
    {
        get;
        init
        {
            if (value < 0 || value > Math.Min(Height, Width) / 2)
                throw new ArgumentOutOfRangeException(nameof(MaxShift), value, $"the shift must be from 0 to half the image's {Math.Min(Height, Width)} pixels.");
            field = value;
        }
    }

    /// <summary>Add one value drawn from U(−b, b) to the whole sample.</summary>
    public float Brightness { get; init => field = NonNegative(value, nameof(Brightness)); }

    /// <summary>Scale the sample's deviation from its mean by a factor drawn from U(1 − c, 1 + c) (c below 1).</summary>
    public float Contrast
    {
        get;
        init
        {
            if (!(value >= 0f && value < 1f)) throw new ArgumentOutOfRangeException(nameof(Contrast), value, "the contrast change must be in [0, 1).");
            field = value;
        }
    }

    /// <summary>Add Gaussian noise of this standard deviation to every value.</summary>
    public float Noise { get; init => field = NonNegative(value, nameof(Noise)); }

    /// <summary>Set a square of this side (at a uniform place, partly outside the image allowed) to <see cref="FillValue"/>.</summary>
    public int Cutout
    {
        get;
        init
        {
            if (value < 0 || value > Math.Max(Height, Width))
                throw new ArgumentOutOfRangeException(nameof(Cutout), value, $"the cutout side must be from 0 to the image's {Math.Max(Height, Width)} pixels.");
            field = value;
        }
    }

    /// <summary>The value of pixels shifted in and of the cutout (the standardized value of black, for example).</summary>
    public float FillValue { get; init; }

    /// <summary>Changes <paramref name="sample"/> in place with the changes drawn from <paramref name="seed"/>.</summary>
    public void Apply(Span<float> sample, ulong seed)
    {
        if (sample.Length != Size)
            throw new ArgumentException($"sample has {sample.Length} values; the augmentation's images have {Channels}×{Height}×{Width} = {Size}.", nameof(sample));
        var random = new SplitMix(seed);
        if (HorizontalFlip && (random.Next() & 1) == 1)
            for (int row = 0; row < Channels * Height; row++) sample.Slice(row * Width, Width).Reverse();
        if (MaxShift > 0)
        {
            int dy = random.Below(2 * MaxShift + 1) - MaxShift, dx = random.Below(2 * MaxShift + 1) - MaxShift;
            for (int c = 0; c < Channels; c++) Shift(sample.Slice(c * Height * Width, Height * Width), dy, dx);
        }
        if (Contrast > 0f)
        {
            float mean = TensorPrimitives.Sum(sample) / sample.Length, factor = 1f + Contrast * (2f * random.Unit() - 1f);
            // x ← mean + factor·(x − mean)
            TensorPrimitives.Multiply(sample, factor, sample);
            TensorPrimitives.Add(sample, mean * (1f - factor), sample);
        }
        if (Brightness > 0f) TensorPrimitives.Add(sample, Brightness * (2f * random.Unit() - 1f), sample);
        if (Noise > 0f)
            for (int i = 0; i < sample.Length; i++) sample[i] += Noise * random.Gaussian();
        if (Cutout > 0)
        {
            // The square's centre anywhere in the image, as DeVries and Taylor (2017): near the edges only part of it falls inside.
            int cy = random.Below(Height) - Cutout / 2, cx = random.Below(Width) - Cutout / 2;
            int y0 = Math.Max(0, cy), y1 = Math.Min(Height, cy + Cutout), x0 = Math.Max(0, cx), x1 = Math.Min(Width, cx + Cutout);
            for (int c = 0; c < Channels; c++)
                for (int y = y0; y < y1; y++) sample.Slice((c * Height + y) * Width + x0, Math.Max(0, x1 - x0)).Fill(FillValue);
        }
    }

    // plane[y, x] ← plane[y − dy, x − dx], FillValue where that is outside: in place, visiting rows and columns in the
    // direction that reads each source before it is overwritten.
    private void Shift(Span<float> plane, int dy, int dx)
    {
        if (dy == 0 && dx == 0) return;
        for (int k = 0; k < Height; k++)
        {
            int y = dy > 0 ? Height - 1 - k : k, from = y - dy;
            Span<float> row = plane.Slice(y * Width, Width);
            if ((uint)from >= (uint)Height)
            {
                row.Fill(FillValue);
                continue;
            }
            // Copy within the plane: Span.CopyTo handles an overlapping source (same row when dy is 0).
            int x0 = Math.Max(0, dx), x1 = Math.Min(Width, Width + dx);
            if (x1 > x0) plane.Slice(from * Width + x0 - dx, x1 - x0).CopyTo(row.Slice(x0));
            row.Slice(0, x0).Fill(FillValue);
            row.Slice(Math.Max(x0, x1)).Fill(FillValue);
        }
    }

    private static float NonNegative(float value, string name) =>
        value >= 0f && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, "must be finite and 0 or more.");

    /// <summary>The seed the trainer gives a sample: its seed, the epoch and the sample's index, mixed.</summary>
    public static ulong SeedFor(int trainerSeed, int epoch, int sample) =>
        SplitMix.Mix(SplitMix.Mix(SplitMix.Mix((ulong)(uint)trainerSeed) ^ (ulong)(uint)epoch) ^ (ulong)(uint)sample);

    /// <summary>SplitMix64 (Steele, Lea and Flood 2014): a small generator with a good mix, on the stack.</summary>
    private struct SplitMix(ulong seed)
    {
        private ulong _state = seed;

        public static ulong Mix(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public ulong Next() => Mix(_state += 0x9E3779B97F4A7C15UL);

        /// <summary>Uniform in [0, 1).</summary>
        public float Unit() => (Next() >> 40) * (1f / (1 << 24));

        /// <summary>Uniform in [0, bound).</summary>
        public int Below(int bound) => (int)((Next() >> 32) * (ulong)bound >> 32);

        /// <summary>Standard normal (Box–Muller).</summary>
        public float Gaussian()
        {
            double u = (Next() >> 11) * (1.0 / (1UL << 53)) + 1e-300, v = (Next() >> 11) * (1.0 / (1UL << 53));
            return (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }
    }
}

/// <summary>Test-time augmentation: the mean of a network's predictions over changed copies of one sample.</summary>
public static class TestTimeAugmentation
{
    /// <summary>
    /// Averages Predict over the sample itself and <paramref name="copies"/> − 1 copies changed by
    /// <paramref name="augmentation"/> (drawn from <paramref name="seed"/>). <paramref name="scratch"/> holds
    /// InputSize + OutputSize floats. Allocates nothing; thread-safe as Predict is, given a scratch per thread.
    /// </summary>
    public static void Predict(INetwork network, ReadOnlySpan<float> input, Span<float> output, ImageAugmentation augmentation, int copies, ulong seed, Span<float> scratch)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(augmentation);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(copies);
        if (augmentation.Size != network.InputSize)
            throw new ArgumentException($"the augmentation's images have {augmentation.Size} values; the network takes {network.InputSize}.", nameof(augmentation));
        if (scratch.Length < network.InputSize + network.OutputSize)
            throw new ArgumentException($"scratch has {scratch.Length} floats; it needs InputSize + OutputSize = {network.InputSize + network.OutputSize}.", nameof(scratch));
        Span<float> sample = scratch.Slice(0, network.InputSize), one = scratch.Slice(network.InputSize, network.OutputSize);
        network.Predict(input, output);
        for (int k = 1; k < copies; k++)
        {
            input.CopyTo(sample);
            augmentation.Apply(sample, ImageAugmentation.SeedFor((int)seed, k, (int)(seed >> 32)));
            network.Predict(sample, one);
            TensorPrimitives.Add(output, one, output);
        }
        TensorPrimitives.Multiply(output, 1f / copies, output);
    }
}
