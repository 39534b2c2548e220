namespace SweepCluster.Analysis;

/// <summary>
/// Arm A against arm B when their seeds are not shared: Welch's t-test, which assumes neither equal
/// variances nor equal sizes. On seed-paired data it ignores the shared variance and so loses power;
/// use <see cref="PairedComparison"/> there. Differences are mean(A) - mean(B); values are null when
/// either arm has fewer than two values, and the test also when both variances are 0.
/// </summary>
public sealed record UnpairedComparison
{
    public required int NA { get; init; }
    public required int NB { get; init; }
    public double? MeanDifference { get; init; }
    /// <summary>The Welch–Satterthwaite degrees of freedom.</summary>
    public double? DegreesOfFreedom { get; init; }
    /// <summary>mean difference ± t(0.975, df) · √(s²a/na + s²b/nb).</summary>
    public Interval? TInterval { get; init; }
    /// <summary>The two-sided Welch t-test of equal means.</summary>
    public double? WelchP { get; init; }
    /// <summary>The percentile bootstrap interval of the mean difference, each arm resampled on its own.</summary>
    public Interval? BootstrapInterval { get; init; }

    public static UnpairedComparison Of(IReadOnlyList<double> a, IReadOnlyList<double> b, BootstrapOptions bootstrap)
    {
        var comparison = new UnpairedComparison { NA = a.Count, NB = b.Count };
        if (a.Count == 0 || b.Count == 0)
            return comparison;
        var mean = Descriptive.Mean(a) - Descriptive.Mean(b);
        comparison = comparison with { MeanDifference = mean };
        if (a.Count < 2 || b.Count < 2)
            return comparison;
        comparison = comparison with { BootstrapInterval = Bootstrap.MeanDifferenceInterval(a, b, bootstrap) };
        var va = Square(Descriptive.StandardDeviation(a)) / a.Count;
        var vb = Square(Descriptive.StandardDeviation(b)) / b.Count;
        if (va + vb == 0)
            return comparison;
        var se = Math.Sqrt(va + vb);
        var df = Square(va + vb) / (Square(va) / (a.Count - 1) + Square(vb) / (b.Count - 1));
        var halfWidth = Descriptive.TCritical(df) * se;
        return comparison with
        {
            DegreesOfFreedom = df,
            TInterval = new Interval(mean - halfWidth, mean + halfWidth),
            WelchP = Descriptive.TTwoSidedP(mean / se, df),
        };
    }

    static double Square(double x) => x * x;
}
