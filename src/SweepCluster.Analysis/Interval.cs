namespace SweepCluster.Analysis;

/// <summary>A two-sided confidence interval; all intervals in this project are at <see cref="Level"/>.</summary>
public sealed record Interval(double Lower, double Upper)
{
    /// <summary>The confidence level of every interval and the complement of every test's alpha default.</summary>
    public const double Level = 0.95;

    public double HalfWidth => (Upper - Lower) / 2;

    public bool Contains(double value) => Lower <= value && value <= Upper;
}
