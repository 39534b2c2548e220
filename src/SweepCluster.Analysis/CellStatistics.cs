namespace SweepCluster.Analysis;

/// <summary>
/// What the seeds of one cell show about a metric. Values that need data are null when there is
/// too little: everything but <see cref="N"/> at n = 0, the spread and both intervals at n = 1.
/// The bootstrap interval is also null when no <see cref="BootstrapOptions"/> are given, for
/// callers that need only the cheap values (a learning curve's every epoch).
/// </summary>
public sealed record CellStatistics
{
    public required int N { get; init; }
    public double? Mean { get; init; }
    /// <summary>The sample standard deviation (divisor n - 1).</summary>
    public double? StandardDeviation { get; init; }
    public double? Median { get; init; }
    /// <summary>The 25% and 75% quantiles (type 7, as the median): the box of a box plot.</summary>
    public double? LowerQuartile { get; init; }
    public double? UpperQuartile { get; init; }
    /// <summary>The interquartile mean: see <see cref="InterquartileMean"/> for the trimming.</summary>
    public double? Iqm { get; init; }
    public double? Min { get; init; }
    public double? Max { get; init; }
    /// <summary>mean ± t(0.975, n - 1) · sd / √n.</summary>
    public Interval? TInterval { get; init; }
    /// <summary>The percentile bootstrap interval of the mean.</summary>
    public Interval? BootstrapInterval { get; init; }

    /// <summary>Half the width of <see cref="TInterval"/>: the precision the adaptive seed budget aims at.</summary>
    public double? HalfWidth => TInterval?.HalfWidth;

    public static CellStatistics Of(IReadOnlyList<double> values, BootstrapOptions? bootstrap)
    {
        if (values.Count == 0)
            return new CellStatistics { N = 0 };
        var sorted = values.Order().ToArray();
        var mean = Descriptive.Mean(values);
        var statistics = new CellStatistics
        {
            N = values.Count,
            Mean = mean,
            Median = Descriptive.Quantile(sorted, 0.5),
            LowerQuartile = Descriptive.Quantile(sorted, 0.25),
            UpperQuartile = Descriptive.Quantile(sorted, 0.75),
            Iqm = TrimmedMean(sorted),
            Min = sorted[0],
            Max = sorted[^1],
        };
        if (values.Count < 2)
            return statistics;
        var sd = Descriptive.StandardDeviation(values);
        var halfWidth = Descriptive.TCritical(values.Count - 1) * sd / Math.Sqrt(values.Count);
        return statistics with
        {
            StandardDeviation = sd,
            TInterval = new Interval(mean - halfWidth, mean + halfWidth),
            BootstrapInterval = bootstrap is null ? null : Bootstrap.MeanInterval(values, bootstrap),
        };
    }

    /// <summary>
    /// The mean of the sorted values after dropping floor(n / 4) from each end: the IQM of
    /// Agarwal et al. 2021 as their rliable library computes it (scipy.stats.trim_mean with 0.25).
    /// For n not divisible by 4 slightly more than half the values remain (n = 5 keeps the middle 3;
    /// n = 3 keeps all), which is simpler to state than fractional weights and agrees with rliable.
    /// </summary>
    public static double InterquartileMean(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
            throw new ArgumentException("the interquartile mean of no values is undefined", nameof(values));
        return TrimmedMean(values.Order().ToArray());
    }

    static double TrimmedMean(double[] sorted)
    {
        var trim = sorted.Length / 4;
        var kept = sorted.Length - 2 * trim;
        var sum = 0.0;
        for (var i = trim; i < trim + kept; i++)
            sum += sorted[i];
        return sum / kept;
    }
}
