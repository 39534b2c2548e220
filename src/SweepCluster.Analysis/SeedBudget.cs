namespace SweepCluster.Analysis;

/// <summary>
/// How many seeds a cell gets when seeds are added adaptively: at least <see cref="Min"/>, at most
/// <see cref="Max"/>, <see cref="Batch"/> at a time until the t-interval's half-width reaches
/// <see cref="TargetHalfWidth"/> (in the metric's units).
/// </summary>
public sealed record SeedPolicy
{
    public required int Min { get; init; }
    public required int Max { get; init; }
    public required int Batch { get; init; }
    public required double TargetHalfWidth { get; init; }
}

public static class SeedBudget
{
    /// <summary>
    /// The seeds to add to a cell with these completed values: 0 once n ≥ max or the 95%
    /// t-interval's half-width is at most the target, otherwise the batch capped at max - n; and in
    /// every case at least enough to reach min, whatever the half-width (a few lucky seeds can show a
    /// tiny spread). Below two values the half-width is undefined, so the target counts as unmet.
    /// </summary>
    public static int AdditionalSeeds(SeedPolicy policy, IReadOnlyList<double> completed)
    {
        if (policy.Min < 0 || policy.Max < policy.Min || policy.Batch < 1 || !(policy.TargetHalfWidth > 0))
            throw new ArgumentException($"seed policy needs 0 ≤ min ≤ max, batch ≥ 1 and a positive target, not {policy}", nameof(policy));
        var n = completed.Count;
        if (n >= policy.Max)
            return 0;
        var halfWidth = HalfWidth(completed);
        var more = halfWidth <= policy.TargetHalfWidth ? 0 : Math.Min(policy.Batch, policy.Max - n);
        return Math.Max(more, policy.Min - n);
    }

    /// <summary>Half-width of the 95% t-interval of the mean; null below two values.</summary>
    public static double? HalfWidth(IReadOnlyList<double> values) => values.Count < 2
        ? null
        : Descriptive.TCritical(values.Count - 1) * Descriptive.StandardDeviation(values) / Math.Sqrt(values.Count);

    /// <summary>
    /// The fewest values (at least 2) whose 95% t-interval of the mean has a half-width of at most
    /// <paramref name="target"/>, if they spread with this standard deviation: t(0.975, n - 1) · sd / √n ≤ target.
    /// Null when that takes more than <paramref name="limit"/> values. A planning figure: the spread
    /// of the next seeds is estimated from the ones already run.
    /// </summary>
    public static int? SeedsForHalfWidth(double standardDeviation, double target, int limit = 1_000_000)
    {
        if (!(standardDeviation >= 0) || !(target > 0))
            throw new ArgumentException($"needs a standard deviation ≥ 0 and a positive target, not {standardDeviation} and {target}");
        // The normal quantile is below every t quantile, so its n is a lower bound to count up from.
        var z = Descriptive.NormalCritical();
        var lowerBound = Math.Pow(z * standardDeviation / target, 2);
        if (lowerBound > limit)
            return null;
        for (var n = Math.Max(2, (int)Math.Floor(lowerBound)); n <= limit; n++)
            if (Descriptive.TCritical(n - 1) * standardDeviation / Math.Sqrt(n) <= target)
                return n;
        return null;
    }
}
