namespace SweepCluster.Analysis;

/// <summary>Options of a paired comparison; <see cref="EquivalenceMargin"/> null skips the equivalence test.</summary>
public sealed record PairedOptions
{
    public static readonly PairedOptions Default = new();

    public BootstrapOptions Bootstrap { get; init; } = BootstrapOptions.Default;
    /// <summary>The largest |mean difference| counted as "the same", in the metric's units (0.005 = half a point of accuracy).</summary>
    public double? EquivalenceMargin { get; init; }
    public double Alpha { get; init; } = 1 - Interval.Level;
}

/// <summary>
/// The two one-sided tests (TOST) of equivalence: H0 is |mean difference| ≥ margin. The two
/// one-sided paired t-tests must both reject, so the p-value is the larger of the two.
/// </summary>
public sealed record EquivalenceResult(double Margin, double P, bool Equivalent);

/// <summary>
/// Arm A against arm B on the seeds both ran. Pairing by seed removes the variance the arms share
/// (initial weights, data order), so it is the comparison to use whenever seeds match; use
/// <see cref="UnpairedComparison"/> when they do not. Differences are A - B. Every value that
/// needs more data than there is is null: all but <see cref="SharedSeeds"/> at n = 0, and the
/// tests and intervals at n = 1; the t-test, d_z and TOST are also null when every difference is
/// equal (sd = 0), where the t statistic is undefined.
/// </summary>
public sealed record PairedComparison
{
    /// <summary>The seeds present in both arms: the n of every statistic here.</summary>
    public required int SharedSeeds { get; init; }
    public double? MeanDifference { get; init; }
    /// <summary>sd(diff), divisor n - 1: what the number of seeds for a given precision depends on (<see cref="SeedBudget.SeedsForHalfWidth"/>).</summary>
    public double? DifferenceStandardDeviation { get; init; }
    /// <summary>The percentile bootstrap interval of the mean difference, resampling whole pairs.</summary>
    public Interval? BootstrapInterval { get; init; }
    /// <summary>mean ± t(0.975, n - 1) · sd(diff) / √n.</summary>
    public Interval? TInterval { get; init; }
    /// <summary>The two-sided paired t-test of mean difference 0, n - 1 degrees of freedom.</summary>
    public double? TTestP { get; init; }
    public WilcoxonResult? Wilcoxon { get; init; }
    /// <summary>Cohen's d_z: mean(diff) / sd(diff).</summary>
    public double? EffectSizeDz { get; init; }
    /// <summary>The share of shared seeds where A scored higher than B, ties counted half.</summary>
    public double? ProbabilityABeatsB { get; init; }
    public EquivalenceResult? Equivalence { get; init; }

    public static PairedComparison Of(IReadOnlyDictionary<int, double> a, IReadOnlyDictionary<int, double> b, PairedOptions options)
    {
        var differences = a.Keys.Where(b.ContainsKey).Order().Select(seed => a[seed] - b[seed]).ToArray();
        var n = differences.Length;
        if (n == 0)
            return new PairedComparison { SharedSeeds = 0 };
        var mean = Descriptive.Mean(differences);
        var comparison = new PairedComparison
        {
            SharedSeeds = n,
            MeanDifference = mean,
            ProbabilityABeatsB = differences.Sum(d => d > 0 ? 1 : d == 0 ? 0.5 : 0) / n,
        };
        if (n < 2)
            return comparison;
        comparison = comparison with
        {
            BootstrapInterval = Bootstrap.MeanInterval(differences, options.Bootstrap),
            Wilcoxon = SweepCluster.Analysis.Wilcoxon.SignedRank(differences),
        };
        var sd = Descriptive.StandardDeviation(differences);
        comparison = comparison with { DifferenceStandardDeviation = sd };
        if (sd == 0)
            return comparison with { TInterval = new Interval(mean, mean) };
        var se = sd / Math.Sqrt(n);
        var df = n - 1;
        var halfWidth = Descriptive.TCritical(df) * se;
        return comparison with
        {
            TInterval = new Interval(mean - halfWidth, mean + halfWidth),
            TTestP = Descriptive.TTwoSidedP(mean / se, df),
            EffectSizeDz = mean / sd,
            Equivalence = options.EquivalenceMargin is { } margin ? Tost(mean, se, df, margin, options.Alpha) : null,
        };
    }

    static EquivalenceResult Tost(double mean, double se, int df, double margin, double alpha)
    {
        if (!(margin > 0))
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "an equivalence margin must be positive");
        // H0a: mean ≤ -margin, rejected for large t; H0b: mean ≥ margin, rejected for small t.
        var pAboveLower = Descriptive.TLowerTail(-(mean + margin) / se, df);
        var pBelowUpper = Descriptive.TLowerTail((mean - margin) / se, df);
        var p = Math.Max(pAboveLower, pBelowUpper);
        return new EquivalenceResult(margin, p, p < alpha);
    }
}
