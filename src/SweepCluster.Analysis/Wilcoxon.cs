using MathNet.Numerics.Distributions;

namespace SweepCluster.Analysis;

/// <summary>How <see cref="Wilcoxon.SignedRank"/> computed its p-value.</summary>
public enum WilcoxonMethod
{
    /// <summary>The exact null distribution of W+, enumerated: no ties and at most <see cref="Wilcoxon.ExactLimit"/> non-zero differences.</summary>
    Exact,
    /// <summary>The normal approximation with the tie correction of the variance and a continuity correction of 0.5.</summary>
    NormalApproximation,
}

/// <summary>The outcome of a two-sided Wilcoxon signed-rank test; <see cref="N"/> counts the non-zero differences.</summary>
public sealed record WilcoxonResult(int N, double WPlus, double P, WilcoxonMethod Method);

/// <summary>
/// The Wilcoxon signed-rank test, written here as MathNet has none. Zero differences are dropped
/// before ranking (Wilcoxon's own convention, scipy's default); tied absolute differences get
/// their average rank.
/// </summary>
public static class Wilcoxon
{
    /// <summary>Above this many non-zero differences the normal approximation is already within table precision.</summary>
    public const int ExactLimit = 50;

    /// <summary>Null when no difference is non-zero: nothing to rank, so no evidence either way.</summary>
    public static WilcoxonResult? SignedRank(IReadOnlyList<double> differences)
    {
        var nonZero = differences.Where(d => d != 0).OrderBy(Math.Abs).ToArray();
        var n = nonZero.Length;
        if (n == 0)
            return null;
        var ranks = new double[n];
        var tieCorrection = 0.0;
        for (var start = 0; start < n;)
        {
            var end = start;
            while (end + 1 < n && Math.Abs(nonZero[end + 1]) == Math.Abs(nonZero[start]))
                end++;
            // Positions start..end (0-based) share the ranks start+1..end+1, so each gets their average.
            var average = (start + end + 2) / 2.0;
            for (var i = start; i <= end; i++)
                ranks[i] = average;
            var tied = end - start + 1;
            tieCorrection += (double)tied * tied * tied - tied;
            start = end + 1;
        }
        var wPlus = 0.0;
        for (var i = 0; i < n; i++)
            if (nonZero[i] > 0)
                wPlus += ranks[i];

        if (tieCorrection == 0 && n <= ExactLimit)
            return new WilcoxonResult(n, wPlus, ExactP(n, (int)wPlus), WilcoxonMethod.Exact);

        var mean = n * (n + 1) / 4.0;
        var variance = n * (n + 1) * (2.0 * n + 1) / 24 - tieCorrection / 48;
        var z = Math.Max(0, Math.Abs(wPlus - mean) - 0.5) / Math.Sqrt(variance);
        var p = Math.Min(1, 2 * Normal.CDF(0, 1, -z));
        return new WilcoxonResult(n, wPlus, p, WilcoxonMethod.NormalApproximation);
    }

    /// <summary>
    /// 2 · P(W+ ≤ min(w, n(n+1)/2 - w)) under the null, where each rank's sign is a fair coin:
    /// counts of subsets of {1..n} by their sum, built one rank at a time. The distribution is
    /// symmetric, so the smaller tail doubled is the two-sided p-value.
    /// </summary>
    static double ExactP(int n, int wPlus)
    {
        var maxSum = n * (n + 1) / 2;
        var counts = new double[maxSum + 1];
        counts[0] = 1;
        for (var rank = 1; rank <= n; rank++)
            for (var sum = maxSum; sum >= rank; sum--)
                counts[sum] += counts[sum - rank];
        var tail = Math.Min(wPlus, maxSum - wPlus);
        var atOrBelow = 0.0;
        for (var sum = 0; sum <= tail; sum++)
            atOrBelow += counts[sum];
        return Math.Min(1, 2 * atOrBelow / Math.Pow(2, n));
    }
}
