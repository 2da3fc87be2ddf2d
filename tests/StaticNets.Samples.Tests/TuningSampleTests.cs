namespace StaticNets.Samples.Tests;

/// <summary>samples/Tuning end to end on a small subset: a pruned search, its table and curves, a resumed run, an ensemble.</summary>
public class TuningSampleTests
{
    [Fact]
    public void A_small_search_ranks_its_trials_draws_their_curves_resumes_and_ends_with_an_ensemble()
    {
        string output = Directory.CreateTempSubdirectory("staticnets-tuning-").FullName;
        try
        {
            var (code, text, error) = SampleCommandLineTests.Run("Tuning", $"--output {output} --trials 4 --epochs 2 --train-size 1000 --members 2");
            Assert.True(code == 0, error + text);
            Assert.Contains("study 'fashion-mnist-mlp' (maximize)", text);
            Assert.Matches(@"\s1\s+\d+\s+complete\s", text);
            Assert.Contains("test accuracy of their ensemble", text);
            Assert.True(new FileInfo(Path.Combine(output, "trials.png")).Length > 10_000);

            // Again with two more trials: only those two run.
            (code, text, error) = SampleCommandLineTests.Run("Tuning", $"--output {output} --trials 6 --epochs 2 --train-size 1000 --members 2");
            Assert.True(code == 0, error + text);
            Assert.Matches(@"trial\s+4:", text);
            Assert.DoesNotMatch(@"trial\s+[0-3]:", text);
            Assert.Contains("of 6", text);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
