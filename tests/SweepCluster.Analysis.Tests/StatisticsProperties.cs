using FsCheck.Xunit;

namespace SweepCluster.Analysis.Tests;

/// <summary>Invariants of the statistics over random samples (FsCheck): orderings, symmetries, bounds.</summary>
public class StatisticsProperties
{
    static readonly BootstrapOptions Bootstrap = new() { Resamples = 200, Seed = 7 };

    /// <summary>Accuracies in [0, 1] from generated integers, at least two of them.</summary>
    static double[] Sample(int[] raw) => raw.Length < 2 ? [0.5, 0.6] : raw.Select(v => (v & 0xFFFF) / 65535.0).ToArray();

    const double Tolerance = 1e-12;

    [Property(MaxTest = 200)]
    public bool Every_summary_lies_between_min_and_max_and_the_t_interval_holds_the_mean(int[] raw)
    {
        var values = Sample(raw);
        var s = CellStatistics.Of(values, Bootstrap);
        bool Within(double? v) => v >= s.Min - Tolerance && v <= s.Max + Tolerance;
        return s.N == values.Length
               && Within(s.Mean) && Within(s.Median) && Within(s.Iqm)
               && Within(s.BootstrapInterval!.Lower) && Within(s.BootstrapInterval.Upper)
               && s.TInterval!.Lower <= s.Mean + Tolerance && s.Mean <= s.TInterval.Upper + Tolerance
               && s.StandardDeviation >= 0 && s.HalfWidth >= 0;
    }

    [Property(MaxTest = 200)]
    public bool The_same_data_and_seed_give_the_same_bootstrap_interval(int[] raw)
    {
        var values = Sample(raw);
        return CellStatistics.Of(values, Bootstrap).BootstrapInterval == CellStatistics.Of(values.ToArray(), Bootstrap).BootstrapInterval;
    }

    [Property(MaxTest = 200)]
    public bool Swapping_the_arms_negates_the_difference_and_mirrors_the_win_probability(int[] rawA, int[] rawB)
    {
        var a = Sample(rawA);
        var b = Sample(rawB);
        var n = Math.Min(a.Length, b.Length);
        var byA = Enumerable.Range(1, n).ToDictionary(seed => seed, seed => a[seed - 1]);
        var byB = Enumerable.Range(1, n).ToDictionary(seed => seed, seed => b[seed - 1]);
        var ab = PairedComparison.Of(byA, byB, PairedOptions.Default);
        var ba = PairedComparison.Of(byB, byA, PairedOptions.Default);
        return ab.SharedSeeds == n
               && Math.Abs(ab.MeanDifference!.Value + ba.MeanDifference!.Value) < Tolerance
               && Math.Abs(ab.ProbabilityABeatsB!.Value + ba.ProbabilityABeatsB!.Value - 1) < Tolerance
               && (ab.TTestP is null ? ba.TTestP is null : Math.Abs(ab.TTestP.Value - ba.TTestP!.Value) < 1e-9);
    }

    [Property(MaxTest = 300)]
    public bool Holm_never_lowers_a_p_value_keeps_the_order_and_stays_at_most_one(int[] raw)
    {
        var p = raw.Select(v => (v & 0xFFFF) / 65535.0).ToArray();
        var adjusted = Holm.Adjust(p);
        var order = Enumerable.Range(0, p.Length).OrderBy(i => p[i]).ToArray();
        return Enumerable.Range(0, p.Length).All(i => adjusted[i] >= p[i] && adjusted[i] <= 1)
               && order.Zip(order.Skip(1)).All(pair => adjusted[pair.First] <= adjusted[pair.Second]);
    }
}
