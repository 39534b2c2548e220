namespace SweepCluster.Analysis.Tests;

public sealed class CellStatisticsTests
{
    static readonly BootstrapOptions _bootstrap = new() { Resamples = 2_000, Seed = 7 };

    [Fact]
    public void Eight_values_match_the_hand_calculation()
    {
        // x = 2 4 4 4 5 5 7 9: sum 40, mean 5; squared deviations 9 1 1 1 0 0 4 16 = 32,
        // sd = √(32/7) = 2.138090; median = (4 + 5)/2 = 4.5; IQM drops 8/4 = 2 from each end: (4+4+5+5)/4 = 4.5.
        // t(0.975, 7) = 2.365 (t table); half-width = 2.364624 · 2.138090/√8 = 1.787488.
        var s = CellStatistics.Of([2, 4, 4, 4, 5, 5, 7, 9], _bootstrap);
        Assert.Equal(8, s.N);
        Assert.Equal(5, s.Mean!.Value, 12);
        Assert.Equal(2.138090, s.StandardDeviation!.Value, 6);
        Assert.Equal(4.5, s.Median);
        // Type 7 quartiles: positions 7 · 0.25 = 1.75 and 7 · 0.75 = 5.25: 4 + 0.75 · 0 = 4 and 5 + 0.25 · 2 = 5.5.
        Assert.Equal(4, s.LowerQuartile);
        Assert.Equal(5.5, s.UpperQuartile);
        Assert.Equal(4.5, s.Iqm);
        Assert.Equal(2, s.Min);
        Assert.Equal(9, s.Max);
        Assert.Equal(1.787488, s.HalfWidth!.Value, 5);
        Assert.Equal(5 - 1.787488, s.TInterval!.Lower, 5);
        Assert.Equal(5 + 1.787488, s.TInterval.Upper, 5);
    }

    [Theory]
    // Two-sided 95% critical values of Student's t from the standard table (e.g. NIST/SEMATECH
    // e-Handbook 1.3.6.7.2, column 0.975): df 1 → 12.706, 4 → 2.776, 9 → 2.262, 29 → 2.045.
    [InlineData(2, 12.706)]
    [InlineData(5, 2.776)]
    [InlineData(10, 2.262)]
    [InlineData(30, 2.045)]
    public void The_t_interval_uses_the_tabulated_critical_value(int n, double tableValue)
    {
        // Values 0, 1, 0, 1, ...: any spread works, as half-width / (sd/√n) is the critical value alone.
        var values = Enumerable.Range(0, n).Select(i => (double)(i % 2)).ToArray();
        var s = CellStatistics.Of(values, _bootstrap);
        var critical = s.HalfWidth!.Value / (s.StandardDeviation!.Value / Math.Sqrt(n));
        Assert.Equal(tableValue, critical, 3);
    }

    [Theory]
    // floor(n/4) dropped from each end: n=5 keeps 2 3 4 → 3; n=6 keeps 2 3 4 5 → 3.5;
    // n=3 drops nothing → (1+2+30)/3 = 11; n=7 drops 1 each: (2+3+4+5+6)/5 = 4.
    [InlineData(new double[] { 100, 1, 2, 3, 4 }, 3)]
    [InlineData(new double[] { 1, 2, 3, 4, 5, 60 }, 3.5)]
    [InlineData(new double[] { 1, 2, 30 }, 11)]
    [InlineData(new double[] { 7, 1, 2, 3, 4, 5, 6 }, 4)]
    public void The_interquartile_mean_trims_floor_of_a_quarter_from_each_end(double[] values, double expected) =>
        Assert.Equal(expected, CellStatistics.InterquartileMean(values), 12);

    [Fact]
    public void No_values_give_only_a_count()
    {
        var s = CellStatistics.Of([], _bootstrap);
        Assert.Equal(0, s.N);
        Assert.Null(s.Mean);
        Assert.Null(s.Median);
        Assert.Null(s.TInterval);
        Assert.Null(s.BootstrapInterval);
    }

    [Fact]
    public void One_value_has_a_location_but_no_spread_or_interval()
    {
        var s = CellStatistics.Of([0.87], _bootstrap);
        Assert.Equal(1, s.N);
        Assert.Equal(0.87, s.Mean);
        Assert.Equal(0.87, s.Iqm);
        Assert.Null(s.StandardDeviation);
        Assert.Null(s.TInterval);
        Assert.Null(s.HalfWidth);
        Assert.Null(s.BootstrapInterval);
    }

    [Fact]
    public void Equal_values_have_zero_spread_and_point_intervals()
    {
        var s = CellStatistics.Of([0.5, 0.5, 0.5, 0.5], _bootstrap);
        Assert.Equal(0, s.StandardDeviation);
        Assert.Equal(new Interval(0.5, 0.5), s.TInterval);
        Assert.Equal(new Interval(0.5, 0.5), s.BootstrapInterval);
    }

    [Fact]
    public void The_bootstrap_repeats_with_its_seed_and_changes_with_another()
    {
        var values = NormalSample(30, mean: 0.88, sd: 0.01, seed: 1);
        var first = CellStatistics.Of(values, new BootstrapOptions { Seed = 42 }).BootstrapInterval;
        var again = CellStatistics.Of(values, new BootstrapOptions { Seed = 42 }).BootstrapInterval;
        var other = CellStatistics.Of(values, new BootstrapOptions { Seed = 43 }).BootstrapInterval;
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void The_bootstrap_interval_covers_the_mean_and_agrees_with_the_t_interval_on_normal_data()
    {
        var s = CellStatistics.Of(NormalSample(50, mean: 0.88, sd: 0.01, seed: 3), BootstrapOptions.Default);
        var t = s.TInterval!;
        var boot = s.BootstrapInterval!;
        Assert.True(boot.Contains(s.Mean!.Value));
        // The percentile interval is a little narrower (z rather than t, divisor n rather than n - 1);
        // at n = 50 both ends agree to well within a fifth of the t half-width.
        Assert.InRange(boot.Lower - t.Lower, -0.2 * t.HalfWidth, 0.2 * t.HalfWidth);
        Assert.InRange(boot.Upper - t.Upper, -0.2 * t.HalfWidth, 0.2 * t.HalfWidth);
    }

    /// <summary>Box–Muller draws from a seeded generator: normal data that is the same on every run.</summary>
    internal static double[] NormalSample(int n, double mean, double sd, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ =>
        {
            var u1 = 1 - random.NextDouble();
            var u2 = random.NextDouble();
            return mean + sd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }).ToArray();
    }

    [Fact]
    public void Without_bootstrap_options_only_the_bootstrap_interval_is_missing()
    {
        var values = new[] { 0.81, 0.83, 0.80, 0.86 };
        var cheap = CellStatistics.Of(values, bootstrap: null);
        var full = CellStatistics.Of(values, _bootstrap);
        Assert.Null(cheap.BootstrapInterval);
        Assert.NotNull(full.BootstrapInterval);
        Assert.Equal(full with { BootstrapInterval = null }, cheap);
    }
}
