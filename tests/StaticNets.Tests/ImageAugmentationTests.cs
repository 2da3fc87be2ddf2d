namespace StaticNets.Tests;

public class ImageAugmentationTests
{
    private static float[] Ramp(int channels, int height, int width) =>
        Enumerable.Range(0, channels * height * width).Select(i => (float)(i + 1)).ToArray();

    [Fact]
    public void The_same_seed_gives_the_same_image_and_other_seeds_other_images()
    {
        var augmentation = new ImageAugmentation(2, 6, 5) { HorizontalFlip = true, MaxShift = 2, Brightness = 0.3f, Contrast = 0.2f, Noise = 0.1f, Cutout = 2 };
        float[] a = Ramp(2, 6, 5), b = Ramp(2, 6, 5), c = Ramp(2, 6, 5);
        augmentation.Apply(a, 42);
        augmentation.Apply(b, 42);
        augmentation.Apply(c, 43);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(ImageAugmentation.SeedFor(1, 2, 3), ImageAugmentation.SeedFor(1, 2, 3));
        Assert.NotEqual(ImageAugmentation.SeedFor(1, 2, 3), ImageAugmentation.SeedFor(1, 3, 2));
    }

    [Fact]
    public void A_flip_mirrors_every_row_of_every_channel_about_half_the_time()
    {
        var augmentation = new ImageAugmentation(2, 3, 4) { HorizontalFlip = true };
        float[] original = Ramp(2, 3, 4);
        float[] mirrored = original.Chunk(4).SelectMany(row => row.Reverse()).ToArray();
        int flipped = 0;
        for (ulong seed = 0; seed < 200; seed++)
        {
            float[] x = (float[])original.Clone();
            augmentation.Apply(x, seed);
            if (x.SequenceEqual(mirrored)) flipped++;
            else Assert.Equal(original, x);
        }
        Assert.InRange(flipped, 70, 130);
    }

    [Fact]
    public void A_shift_moves_the_image_by_at_most_MaxShift_and_fills_what_comes_in()
    {
        const int h = 5, w = 6;
        var augmentation = new ImageAugmentation(1, h, w) { MaxShift = 2, FillValue = -7f };
        float[] original = Ramp(1, h, w);
        var seen = new HashSet<(int, int)>();
        for (ulong seed = 0; seed < 300; seed++)
        {
            float[] x = (float[])original.Clone();
            augmentation.Apply(x, seed);
            // Find the shift that explains the result exactly.
            var match = (from dy in Enumerable.Range(-2, 5) from dx in Enumerable.Range(-2, 5)
                         where Enumerable.Range(0, h * w).All(i =>
                         {
                             int y = i / w - dy, xx = i % w - dx;
                             return x[i] == (y >= 0 && y < h && xx >= 0 && xx < w ? original[y * w + xx] : -7f);
                         })
                         select (dy, dx)).ToList();
            Assert.Single(match);
            seen.Add(match[0]);
        }
        Assert.Equal(25, seen.Count); // every shift in [-2, 2]² occurs
    }

    [Fact]
    public void Cutout_fills_one_square_at_most_side_by_side()
    {
        var augmentation = new ImageAugmentation(1, 8, 8) { Cutout = 3, FillValue = 0f };
        for (ulong seed = 0; seed < 100; seed++)
        {
            float[] x = Ramp(1, 8, 8);
            augmentation.Apply(x, seed);
            var filled = Enumerable.Range(0, 64).Where(i => x[i] == 0f).ToList();
            Assert.InRange(filled.Count, 1, 9);
            int rows = filled.Select(i => i / 8).Distinct().Count(), columns = filled.Select(i => i % 8).Distinct().Count();
            Assert.Equal(rows * columns, filled.Count); // a rectangle, clipped by the border
        }
    }

    [Fact]
    public void Noise_brightness_and_contrast_have_the_asked_size()
    {
        var noise = new ImageAugmentation(1, 100, 100) { Noise = 0.5f };
        var x = new float[10000];
        noise.Apply(x, 3);
        double mean = x.Average(), std = Math.Sqrt(x.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.03, 0.03);
        Assert.InRange(std, 0.48, 0.52);

        var light = new ImageAugmentation(1, 2, 2) { Brightness = 0.25f, Contrast = 0.5f };
        for (ulong seed = 0; seed < 50; seed++)
        {
            float[] y = [1, 2, 3, 6];
            light.Apply(y, seed);
            double factor = (y[3] - y[0]) / 5.0, shift = y.Average() - 3;
            Assert.InRange(factor, 0.5 - 1e-5, 1.5 + 1e-5);
            Assert.InRange(shift, -0.25 - 1e-5, 0.25 + 1e-5);
        }
    }

    [Fact]
    public void Settings_out_of_range_and_wrong_sizes_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(1, 4, 4) { MaxShift = 3 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(1, 4, 4) { Contrast = 1f });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(1, 4, 4) { Noise = float.NaN });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(1, 4, 4) { Cutout = -1 });
        var e = Assert.Throws<ArgumentException>(() => new ImageAugmentation(1, 4, 4).Apply(new float[15], 0));
        Assert.Contains("1×4×4 = 16", e.Message);
    }

    [Fact]
    public void Apply_allocates_nothing()
    {
        var augmentation = new ImageAugmentation(3, 16, 16) { HorizontalFlip = true, MaxShift = 3, Brightness = 0.1f, Contrast = 0.1f, Noise = 0.1f, Cutout = 4 };
        var x = new float[augmentation.Size];
        ulong seed = 0;
        Assert.Equal(0, Allocations.Measure(() => augmentation.Apply(x, seed++)));
    }

    [Fact]
    public void Training_with_augmentation_changes_the_batches_not_the_data_set()
    {
        var net = new ConvNet(1, maxBatchSize: 8);
        var rng = new Rng(4);
        var data = Dataset.Classification(TestData.Normal(16 * ConvNet.InputSize, rng), ConvNet.InputSize, Enumerable.Range(0, 16).Select(i => i % 3).ToArray());
        float[] before = data.Features.ToArray();
        var trainer = new Trainer<ConvNet>(net, new Sgd(0.01f), batchSize: 8, seed: 2)
        {
            Augmentation = new ImageAugmentation(ConvNet.InputChannels, ConvNet.InputHeight, ConvNet.InputWidth) { HorizontalFlip = true, MaxShift = 1 },
        };
        trainer.Fit(data, epochs: 2);
        Assert.Equal(before, data.Features.ToArray());

        var wrong = new Trainer<ConvNet>(new ConvNet(1, maxBatchSize: 8), new Sgd(0.01f), batchSize: 8) { Augmentation = new ImageAugmentation(1, 6, 6) };
        var error = Assert.Throws<InvalidOperationException>(() => wrong.Fit(data, epochs: 1));
        Assert.Contains("1×6×6 = 36 values per sample; the network takes 72", error.Message);
    }

    [Fact]
    public void Test_time_augmentation_averages_the_predictions_of_the_copies()
    {
        var net = new ConvNet(3);
        var rng = new Rng(8);
        float[] x = TestData.Normal(ConvNet.InputSize, rng);
        var augmentation = new ImageAugmentation(ConvNet.InputChannels, ConvNet.InputHeight, ConvNet.InputWidth) { HorizontalFlip = true };
        var scratch = new float[ConvNet.InputSize + ConvNet.OutputSize];
        var single = new float[ConvNet.OutputSize];
        var plain = new float[ConvNet.OutputSize];
        net.Predict(x, plain);
        TestTimeAugmentation.Predict(net, x, single, augmentation, copies: 1, seed: 5, scratch);
        Assert.Equal(plain, single);

        // With many copies about half are mirrored: the mean lies between the two predictions.
        float[] mirrored = x.Chunk(ConvNet.InputWidth).SelectMany(row => row.Reverse()).ToArray();
        var flipped = new float[ConvNet.OutputSize];
        net.Predict(mirrored, flipped);
        var averaged = new float[ConvNet.OutputSize];
        TestTimeAugmentation.Predict(net, x, averaged, augmentation, copies: 41, seed: 5, scratch);
        for (int k = 0; k < ConvNet.OutputSize; k++)
            Assert.InRange(averaged[k], Math.Min(plain[k], flipped[k]) - 1e-6f, Math.Max(plain[k], flipped[k]) + 1e-6f);
        Assert.Equal(0, Allocations.Measure(() => TestTimeAugmentation.Predict(net, x, averaged, augmentation, 4, 5, scratch)));
    }
}
