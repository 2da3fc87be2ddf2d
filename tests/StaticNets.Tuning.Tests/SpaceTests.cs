namespace StaticNets.Tuning.Tests;

public class SpaceTests
{
    [Fact]
    public void Log_spaced_grids_are_the_lectures_values()
    {
        Assert.Equal([0.001, 0.003, 0.01], Grid.LogSpaced(0.001, 0.01, 3));
        Assert.Equal([0.001, 0.002, 0.005, 0.01], Grid.LogSpaced(0.001, 0.01, 4));
        Assert.Equal([1e-5, 1e-4, 1e-3, 1e-2, 1e-1], Grid.LogSpaced(1e-5, 1e-1, 5));
        Assert.Equal([0.0, 0.25, 0.5], Grid.Linear(0, 0.5, 3));
        Assert.Throws<ArgumentException>(() => Grid.LogSpaced(0, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Grid.LogSpaced(0.1, 1, 1));
    }

    [Fact]
    public void A_grid_sampler_enumerates_every_combination_once()
    {
        var grid = new GridSampler(("lr", [0.1, 0.01]), ("dropout", [0.0, 0.2, 0.4]));
        Assert.Equal(6, grid.Count);
        var points = Enumerable.Range(0, 6).Select(n => (grid.Sample(n)["lr"], grid.Sample(n)["dropout"])).ToList();
        Assert.Equal([(0.1, 0.0), (0.1, 0.2), (0.1, 0.4), (0.01, 0.0), (0.01, 0.2), (0.01, 0.4)], points);
        Assert.Throws<ArgumentOutOfRangeException>(() => grid.Sample(6));
    }

    [Fact]
    public void Random_search_repeats_by_seed_stays_in_range_and_draws_log_scales_evenly_per_decade()
    {
        var space = new SearchSpace(Hyperparameter.LogUniform("lr", 1e-4, 1e-1), Hyperparameter.Uniform("dropout", 0, 0.5),
            Hyperparameter.Integer("width", 16, 19), Hyperparameter.Choice("batch", 32, 64, 128));
        var a = new RandomSampler(space, seed: 3);
        var b = new RandomSampler(space, seed: 3);
        var other = new RandomSampler(space, seed: 4);
        Assert.Equal(a.Sample(17), b.Sample(17));
        Assert.NotEqual(a.Sample(17)["lr"], other.Sample(17)["lr"]);
        var samples = Enumerable.Range(0, 3000).Select(a.Sample).ToList();
        Assert.All(samples, s =>
        {
            Assert.InRange(s["lr"], 1e-4, 1e-1);
            Assert.InRange(s["dropout"], 0, 0.5);
            Assert.Contains(s["width"], new[] { 16.0, 17, 18, 19 });
            Assert.Contains(s["batch"], new[] { 32.0, 64, 128 });
        });
        // Each of the three decades gets about a third.
        foreach (var (lo, hi) in new[] { (1e-4, 1e-3), (1e-3, 1e-2), (1e-2, 1e-1) })
            Assert.InRange(samples.Count(s => s["lr"] >= lo && s["lr"] < hi), 900, 1100);
        Assert.All(new[] { 16.0, 17, 18, 19 }, w => Assert.InRange(samples.Count(s => s["width"] == w), 650, 850));
    }

    [Fact]
    public void Coarse_to_fine_shrinks_around_an_inner_best_and_moves_the_window_when_the_best_is_on_the_boundary()
    {
        var space = new SearchSpace(Hyperparameter.LogUniform("lr", 1e-4, 1e-2), Hyperparameter.Uniform("dropout", 0.0, 0.6), Hyperparameter.Choice("depth", 2, 3));
        // Inner best: lr 1e-3 (the middle in the logarithm), dropout 0.3: half the width around them.
        SearchSpace fine = CoarseToFine.Refine(space, new Dictionary<string, double> { ["lr"] = 1e-3, ["dropout"] = 0.3, ["depth"] = 3 }, shrink: 0.5);
        Assert.Equal(Math.Pow(10, -3.5), fine["lr"].Low, 12);
        Assert.Equal(Math.Pow(10, -2.5), fine["lr"].High, 12);
        Assert.Equal(0.15, fine["dropout"].Low, 12);
        Assert.Equal(0.45, fine["dropout"].High, 12);
        Assert.Equal([2.0, 3.0], fine["depth"].Choices);
        // On the boundary: lr at the top (1e-2) and dropout at the bottom (0.01): same width, centred on the best.
        SearchSpace moved = CoarseToFine.Refine(space, new Dictionary<string, double> { ["lr"] = 1e-2, ["dropout"] = 0.01, ["depth"] = 2 }, shrink: 0.5);
        Assert.Equal(1e-3, moved["lr"].Low, 12);
        Assert.Equal(1e-1, moved["lr"].High, 12);
        Assert.Equal(0.01 - 0.3, moved["dropout"].Low, 12);
        Assert.Equal(0.01 + 0.3, moved["dropout"].High, 12);
    }

    [Fact]
    public void Bad_spaces_are_named()
    {
        Assert.Contains("'lr' appears twice", Assert.Throws<ArgumentException>(() => new SearchSpace(Hyperparameter.Uniform("lr", 0, 1), Hyperparameter.Uniform("lr", 0, 1))).Message);
        Assert.Contains("low > 0", Assert.Throws<ArgumentException>(() => Hyperparameter.LogUniform("lr", 0, 1)).Message);
        Assert.Contains("no hyperparameter 'wd'", Assert.Throws<KeyNotFoundException>(() => new SearchSpace(Hyperparameter.Uniform("lr", 0, 1))["wd"]).Message);
    }
}
