namespace StaticNets;

/// <summary>How an <see cref="Ensemble{TNetwork}"/> combines its members' predictions.</summary>
public enum EnsembleCombination
{
    /// <summary>The mean of the members' outputs (probabilities for classifiers): the usual, and the better calibrated.</summary>
    Average,
    /// <summary>
    /// Each member votes for its likeliest class (for classifiers); the output is the votes per class plus the averaged
    /// probability as half a vote (which breaks ties and never outvotes a member), divided by members + ½ to sum to 1.
    /// </summary>
    MajorityVote,
}

/// <summary>
/// Several trained networks of one class predicting together: <see cref="Predict"/> combines their outputs by
/// averaging or by majority vote. Members differ by seed (<see cref="Train"/>), optionally by bootstrap resamples of the
/// data, or come from one run's snapshots (<see cref="SnapshotCollector"/>).
/// </summary>
/// <remarks>
/// Threading: <see cref="Predict"/> is safe from many threads at once, as each member's Predict is; it allocates nothing
/// (one scratch buffer per thread, made on a thread's first call). The member list is fixed at construction.
/// </remarks>
public sealed class Ensemble<TNetwork> where TNetwork : INetwork
{
    [ThreadStatic] private static float[]? t_scratch;
    private readonly TNetwork[] _members;

    /// <summary>An ensemble of <paramref name="members"/> (at least one, all with the same input and output sizes).</summary>
    public Ensemble(IReadOnlyList<TNetwork> members, EnsembleCombination combination = EnsembleCombination.Average)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("An ensemble needs at least one member.", nameof(members));
        for (int i = 0; i < members.Count; i++)
        {
            if (members[i] is null) throw new ArgumentException($"Member {i} is null.", nameof(members));
            if (members[i].InputSize != members[0].InputSize || members[i].OutputSize != members[0].OutputSize)
                throw new ArgumentException($"Member {i} maps {members[i].InputSize} inputs to {members[i].OutputSize} outputs; member 0 maps {members[0].InputSize} to {members[0].OutputSize}.", nameof(members));
        }
        if (!Enum.IsDefined(combination)) throw new ArgumentOutOfRangeException(nameof(combination), combination, "Unknown combination.");
        _members = members.ToArray();
        Combination = combination;
    }

    /// <summary>The members, in order.</summary>
    public IReadOnlyList<TNetwork> Members => _members;

    /// <summary>How outputs are combined.</summary>
    public EnsembleCombination Combination { get; }

    /// <summary>Values per input sample.</summary>
    public int InputSize => _members[0].InputSize;

    /// <summary>Values per output.</summary>
    public int OutputSize => _members[0].OutputSize;

    /// <summary>The combined prediction for one sample: mean outputs, or vote shares (see <see cref="EnsembleCombination"/>).</summary>
    public void Predict(ReadOnlySpan<float> input, Span<float> output)
    {
        if (input.Length != InputSize) throw new ArgumentException($"input has {input.Length} values; the members take {InputSize}.", nameof(input));
        if (output.Length != OutputSize) throw new ArgumentException($"output has {output.Length} values; the members give {OutputSize}.", nameof(output));
        float[] scratch = t_scratch is { } s && s.Length >= 2 * OutputSize ? s : (t_scratch = new float[2 * OutputSize]);
        Span<float> member = scratch.AsSpan(0, OutputSize), mean = scratch.AsSpan(OutputSize, OutputSize);
        mean.Clear();
        output.Clear();
        foreach (TNetwork net in _members)
        {
            net.Predict(input, member);
            System.Numerics.Tensors.TensorPrimitives.Add(mean, member, mean);
            if (Combination == EnsembleCombination.MajorityVote) output[ArgMax(member)] += 1f;
        }
        float n = _members.Length;
        if (Combination == EnsembleCombination.Average)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(mean, 1f / n, output);
            return;
        }
        // Votes, plus the mean probability as half a vote: never enough to outvote a member (probabilities sum to 1), enough
        // to break a tie; scaled so the outputs sum to 1.
        for (int c = 0; c < output.Length; c++) output[c] = (output[c] + 0.5f * mean[c] / n) / (n + 0.5f);
    }

    /// <summary>The likeliest class of each combined prediction, and the accuracy on <paramref name="data"/> (class labels).</summary>
    public double Accuracy(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Labels is null) throw new ArgumentException("Accuracy needs class labels.", nameof(data));
        var output = new float[OutputSize];
        int right = 0;
        for (int i = 0; i < data.Count; i++)
        {
            Predict(data.FeaturesOf(i), output);
            if (ArgMax(output) == data.Labels[i]) right++;
        }
        return (double)right / data.Count;
    }

    /// <summary>Each member's accuracy on <paramref name="data"/>, in order.</summary>
    public double[] MemberAccuracies(Dataset data) => _members.Select(m => new Ensemble<TNetwork>([m]).Accuracy(data)).ToArray();

    /// <summary>
    /// Trains <paramref name="members"/> networks, member m from seed <paramref name="seed"/> + m: created by
    /// <paramref name="create"/>, trained by <paramref name="fit"/> on <paramref name="train"/> or, with
    /// <paramref name="bootstrap"/>, on a resample of it with replacement (bagging) drawn from the member's seed.
    /// </summary>
    public static Ensemble<TNetwork> Train(int members, Func<int, TNetwork> create, Action<TNetwork, int, Dataset> fit, Dataset train,
        bool bootstrap = false, int seed = 0, EnsembleCombination combination = EnsembleCombination.Average)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(fit);
        ArgumentNullException.ThrowIfNull(train);
        var nets = new List<TNetwork>(members);
        for (int m = 0; m < members; m++)
        {
            int memberSeed = seed + m;
            TNetwork net = create(memberSeed);
            fit(net, memberSeed, bootstrap ? Bootstrap(train, memberSeed) : train);
            nets.Add(net);
        }
        return new Ensemble<TNetwork>(nets, combination);
    }

    /// <summary>A resample of <paramref name="data"/> of the same size, drawn with replacement from <paramref name="seed"/>.</summary>
    public static Dataset Bootstrap(Dataset data, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        var rng = new Rng(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + 0xB5));
        var indices = new int[data.Count];
        for (int i = 0; i < indices.Length; i++) indices[i] = rng.NextInt(data.Count);
        return data.Subset(indices);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
