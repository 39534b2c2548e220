using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps;

/// <summary>
/// A parsed, validated sweep: which trials to run, before they are listed. Every trial starts
/// from <see cref="Dataset"/>, <see cref="Model"/> and the two epoch counts; the
/// <see cref="Grid"/> and <see cref="Sample"/> override fields of it; each result is run
/// once per seed. <see cref="SweepExpansion"/> lists the trials. docs/spec.md describes the YAML.
/// </summary>
public sealed record SweepSpec
{
    public const long DefaultMaxTrials = 100_000;

    /// <summary>The noise of the noisy arm when neither grid nor sample gives one: arbitrary labels, the original experiment.</summary>
    public const double DefaultNoise = 1.0;

    public required string Name { get; init; }
    /// <summary>train (the experiment) or sleep (the built-in synthetic trial for testing the scheduler).</summary>
    public TrialKind Kind { get; init; } = TrialKind.Train;
    /// <summary>How long each sleep trial waits.</summary>
    public int SleepMs { get; init; }
    public DatasetConfig Dataset { get; init; } = new();
    public ModelConfig Model { get; init; } = new();
    public required IReadOnlyList<Arm> Arms { get; init; }
    public int PretrainEpochs { get; init; } = 1;
    public int FinetuneEpochs { get; init; } = 1;
    public IReadOnlyList<GridAxis> Grid { get; init; } = [];
    public SampleSpec? Sample { get; init; }
    public required SeedPolicy Seeds { get; init; }

    /// <summary>Refuse to expand into more trials than this (counted before duplicates are removed).</summary>
    public long MaxTrials { get; init; } = DefaultMaxTrials;

    /// <summary>
    /// The margin within which two arms count as equivalent (TOST) in this sweep's reports, in
    /// the metric's units; null: no equivalence test unless <c>sweep report --margin</c> asks for one.
    /// </summary>
    public double? EquivalenceMargin { get; init; }

    /// <summary>The configuration an arm's trials start from, before grid, sample and seed.</summary>
    public TrialConfig BaseConfig(Arm arm) => new()
    {
        Kind = Kind,
        SleepMs = SleepMs,
        Arm = arm,
        Noise = arm == Arm.Noisy ? DefaultNoise : 0,
        Dataset = Dataset,
        Model = Model,
        PretrainEpochs = PretrainEpochs,
        FinetuneEpochs = FinetuneEpochs,
    };
}

/// <summary>One grid axis: the values of one hyperparameter, each crossed with every other axis.</summary>
public abstract record GridAxis
{
    public abstract Hyperparameter Parameter { get; }
    public abstract int Count { get; }

    /// <summary><paramref name="config"/> with this axis's value number <paramref name="index"/>.</summary>
    public abstract TrialConfig Apply(TrialConfig config, int index);
}

public sealed record GridAxis<T> : GridAxis where T : notnull
{
    public GridAxis(Hyperparameter<T> parameter, IReadOnlyList<T> values)
    {
        if (values.Count == 0) throw new ArgumentException($"grid axis {parameter.Name} needs at least one value");
        Parameter = parameter;
        Values = values;
    }

    public override Hyperparameter<T> Parameter { get; }
    public IReadOnlyList<T> Values { get; }
    public override int Count => Values.Count;

    public override TrialConfig Apply(TrialConfig config, int index) => Parameter.Apply(config, Values[index]);
}

/// <summary>
/// <see cref="Count"/> random points, each crossed with every grid point. Each parameter draws
/// from its own stream of <see cref="Seed"/>, so adding or reordering parameters leaves the
/// others' draws unchanged.
/// </summary>
public sealed record SampleSpec(int Count, long Seed, IReadOnlyList<SampledParameter> Parameters)
{
    /// <summary>The points, in order: each a list of changes to a configuration, one per parameter.</summary>
    internal IReadOnlyList<IReadOnlyList<SampledValue>> Points()
    {
        var columns = Parameters.Select(p => p.DrawChanges(Count, Seed)).ToList();
        return Enumerable.Range(0, Count).Select(i => (IReadOnlyList<SampledValue>)columns.Select(c => c[i]).ToList()).ToList();
    }
}

/// <summary>One drawn value of one hyperparameter, ready to apply.</summary>
internal sealed record SampledValue(Hyperparameter Parameter, Func<TrialConfig, TrialConfig> Apply);

public abstract record SampledParameter
{
    public abstract Hyperparameter Parameter { get; }

    internal abstract IReadOnlyList<SampledValue> DrawChanges(int count, long sampleSeed);
}

public sealed record SampledParameter<T> : SampledParameter where T : notnull
{
    public SampledParameter(Hyperparameter<T> parameter, Distribution<T> distribution)
    {
        Parameter = parameter;
        Distribution = distribution;
    }

    public override Hyperparameter<T> Parameter { get; }
    public Distribution<T> Distribution { get; }

    /// <summary>The first <paramref name="count"/> values of this parameter's stream of the sample seed.</summary>
    public IReadOnlyList<T> Draw(int count, long sampleSeed)
    {
        var random = new SplitMix64(SeedStreams.Derive(sampleSeed, $"sample/{Parameter.Name}"));
        return Enumerable.Range(0, count).Select(_ => Distribution.Draw(random)).ToList();
    }

    internal override IReadOnlyList<SampledValue> DrawChanges(int count, long sampleSeed) =>
        Draw(count, sampleSeed).Select(v => new SampledValue(Parameter, c => Parameter.Apply(c, v))).ToList();
}

/// <summary>Which seeds every cell runs.</summary>
public abstract record SeedPolicy
{
    /// <summary>The seeds to expand now.</summary>
    public abstract IReadOnlyList<int> InitialSeeds { get; }

    /// <summary>The most seeds a cell can ever get under this policy; the trial limit counts with it.</summary>
    public abstract int MaxSeedsPerCell { get; }
}

/// <summary>A fixed list of seeds (<c>seeds: 20</c> is 1..20).</summary>
public sealed record FixedSeeds(IReadOnlyList<int> Seeds) : SeedPolicy
{
    public override IReadOnlyList<int> InitialSeeds => Seeds;
    public override int MaxSeedsPerCell => Seeds.Count;
}

/// <summary>
/// An adaptive seed budget: each cell starts with seeds 1..<see cref="Min"/> and gets
/// <see cref="Batch"/> more at a time until the 95% confidence half-width of
/// <see cref="Metric"/> is at most <see cref="TargetHalfwidth"/> or it has <see cref="Max"/>
/// seeds. Only the first <see cref="Min"/> are expanded here; running the policy is the
/// scheduler's job.
/// </summary>
public sealed record AdaptiveSeeds(int Min, int Max, int Batch, double TargetHalfwidth, string Metric) : SeedPolicy
{
    public const int DefaultBatch = 10;
    public const string DefaultMetric = "test_accuracy";

    /// <summary>Fields of a trial's result the policy can watch.</summary>
    public static readonly IReadOnlyList<string> Metrics = [DefaultMetric, "pre_finetune_test_accuracy"];

    public override IReadOnlyList<int> InitialSeeds => Enumerable.Range(1, Min).ToList();
    public override int MaxSeedsPerCell => Max;
}
