using MathNet.Numerics.Distributions;

namespace SweepCluster.Analysis;

/// <summary>The small formulas the statistics share; every one takes plain arrays so it is easy to check by hand.</summary>
static class Descriptive
{
    public static double Mean(IReadOnlyList<double> values) => values.Sum() / values.Count;

    /// <summary>The sample standard deviation (divisor n - 1); the caller ensures n ≥ 2.</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        var mean = Mean(values);
        var squares = values.Sum(v => (v - mean) * (v - mean));
        return Math.Sqrt(squares / (values.Count - 1));
    }

    /// <summary>
    /// The quantile of sorted values by linear interpolation between order statistics at position
    /// (n - 1)p (Hyndman and Fan type 7, the default of R and NumPy), so results match those tools.
    /// </summary>
    public static double Quantile(IReadOnlyList<double> sorted, double p)
    {
        var position = (sorted.Count - 1) * p;
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    /// <summary>The two-sided critical value t such that P(|T| ≤ t) = <see cref="Interval.Level"/> with the given degrees of freedom.</summary>
    public static double TCritical(double degreesOfFreedom) =>
        StudentT.InvCDF(0, 1, degreesOfFreedom, 1 - (1 - Interval.Level) / 2);

    /// <summary>The two-sided critical value z such that P(|Z| ≤ z) = <see cref="Interval.Level"/> for a standard normal Z.</summary>
    public static double NormalCritical() => Normal.InvCDF(0, 1, 1 - (1 - Interval.Level) / 2);

    /// <summary>P(T ≤ t); the lower tail is used on both sides so small p-values keep their precision.</summary>
    public static double TLowerTail(double t, double degreesOfFreedom) => StudentT.CDF(0, 1, degreesOfFreedom, t);

    public static double TTwoSidedP(double t, double degreesOfFreedom) =>
        Math.Min(1, 2 * TLowerTail(-Math.Abs(t), degreesOfFreedom));
}
