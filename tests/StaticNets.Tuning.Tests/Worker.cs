namespace StaticNets.Tuning.Tests;

/// <summary>
/// The test assembly's entry point, for the multi-process test (the test host loads the assembly as a library and never
/// calls it): <c>dotnet exec StaticNets.Tuning.Tests.dll worker CONNECTION STUDY TRIALS LOG NAME</c> works on the study
/// until it ends; each trial takes four epochs of 150 ms and appends "NAME completed N" to LOG when its objective ends.
/// </summary>
public static class Worker
{
    public static int Main(string[] args)
    {
        if (args is not ["worker", string connection, string studyName, string trialsText, string log, string name])
        {
            Console.Error.WriteLine("usage: worker CONNECTION STUDY TRIALS LOG NAME");
            return 2;
        }
        var study = Study.CreateOrLoad(new PostgresStudyStorage(connection), studyName, Direction.Minimize);
        study.Optimize(trial =>
        {
            for (int epoch = 1; epoch <= 4; epoch++)
            {
                Thread.Sleep(150);
                trial.Report(epoch, trial["x"] + 1.0 / epoch);
            }
            File.AppendAllText(log, $"{name} completed {trial.Number}\n");
            return trial["x"];
        }, new RandomSampler(new SearchSpace(Hyperparameter.Uniform("x", 0, 1)), seed: 5), int.Parse(trialsText, System.Globalization.CultureInfo.InvariantCulture),
            worker: name, heartbeat: TimeSpan.FromMilliseconds(200), staleAfter: TimeSpan.FromSeconds(2));
        return 0;
    }
}
