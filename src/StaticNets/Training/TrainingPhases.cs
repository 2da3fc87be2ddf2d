using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace StaticNets;

/// <summary>The parts of a training step that <see cref="TrainingPhases"/> times.</summary>
public enum TrainingPhase
{
    /// <summary>Each thread gathers its rows of the batch and runs forward and backward on them.</summary>
    Gradients,
    /// <summary>The threads sum the replicas' gradients, each over its range of the parameters (and their squares, for the norm).</summary>
    Reduce,
    /// <summary>The optimizer's update, each thread over its range (on one thread when the optimizer is not elementwise).</summary>
    Update,
    /// <summary>What the calling thread does alone between those: loss, norm checks, clipping, running statistics, metrics, shuffling.</summary>
    Serial,
}

/// <summary>
/// Where the time of training steps goes, thread by thread: for each phase the wall time and each thread's busy time,
/// so what a thread did not spend busy is time it waited (for the slowest thread of a parallel phase, or for the calling
/// thread's serial work). Opt-in through <see cref="Trainer{TNetwork}.Phases"/>; reading the clock costs about a hundred
/// nanoseconds a step. Threading: the trainer's threads write it during <c>Fit</c> (each thread its own cells);
/// read it after.
/// </summary>
public sealed class TrainingPhases
{
    private const int MaxThreads = 64;
    private static readonly int Phases = Enum.GetValues<TrainingPhase>().Length;
    private readonly long[] _wall = new long[Phases];
    private readonly long[] _busy = new long[Phases * MaxThreads];

    /// <summary>Steps timed.</summary>
    public long Steps { get; private set; }

    /// <summary>The most threads any timed step used.</summary>
    public int Threads { get; private set; } = 1;

    /// <summary>Wall-clock seconds of <paramref name="phase"/> over all timed steps.</summary>
    public double WallSeconds(TrainingPhase phase) => Seconds(_wall[(int)phase]);

    /// <summary>Seconds thread <paramref name="thread"/> (0: the calling thread) was busy in <paramref name="phase"/>.</summary>
    public double BusySeconds(TrainingPhase phase, int thread) => Seconds(_busy[(int)phase * MaxThreads + thread]);

    /// <summary>Wall-clock seconds of all phases.</summary>
    public double TotalSeconds => Enum.GetValues<TrainingPhase>().Sum(WallSeconds);

    /// <summary>Clears every time.</summary>
    public void Reset()
    {
        Array.Clear(_wall);
        Array.Clear(_busy);
        Steps = 0;
        Threads = 1;
        ParallelTicks = 0;
    }

    /// <summary>Wall ticks of every phase but <see cref="TrainingPhase.Serial"/>, so far.</summary>
    internal long ParallelTicks { get; private set; }

    internal void AddWall(TrainingPhase phase, long ticks)
    {
        _wall[(int)phase] += ticks;
        if (phase != TrainingPhase.Serial) ParallelTicks += ticks;
    }

    internal void AddBusy(TrainingPhase phase, int thread, long ticks) => _busy[(int)phase * MaxThreads + thread] += ticks;

    /// <summary>Time of a phase the calling thread ran alone: as long on the wall as it was busy.</summary>
    internal void AddAlone(TrainingPhase phase, long ticks)
    {
        AddWall(phase, ticks);
        AddBusy(phase, 0, ticks);
    }

    internal void EndStep(int threads)
    {
        Steps++;
        Threads = Math.Max(Threads, threads);
    }

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    /// <summary>A table: per phase the wall time per step, its share, and each thread's busy and waiting time per step.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        double perStep = 1e6 / Math.Max(1, Steps);
        text.Append(c, $"{Steps} steps on {Threads} thread(s), {perStep * TotalSeconds:F1} µs per step");
        text.AppendLine();
        text.Append("phase        wall µs/step  share");
        for (int t = 0; t < Threads; t++) text.Append(c, $"  thread {t} busy  waits");
        text.AppendLine();
        foreach (TrainingPhase phase in Enum.GetValues<TrainingPhase>())
        {
            double wall = WallSeconds(phase);
            text.Append(c, $"{phase,-11}  {wall * perStep,12:F1}  {wall / Math.Max(1e-12, TotalSeconds),5:P0}");
            for (int t = 0; t < Threads; t++)
            {
                double busy = BusySeconds(phase, t); // 0 for a worker in Serial: it waits
                text.Append(c, $"  {busy * perStep,13:F1}  {(wall - busy) * perStep,5:F1}");
            }
            text.AppendLine();
        }
        return text.ToString();
    }
}
