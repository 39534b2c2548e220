namespace SweepCluster.Analysis.Tests;

public sealed class ComparisonTests
{
    static Dictionary<int, double> BySeed(params double[] values) =>
        values.Select((v, i) => (Seed: i, Value: v)).ToDictionary(x => x.Seed, x => x.Value);

    [Fact]
    public void The_paired_t_test_matches_the_closed_form_for_two_degrees_of_freedom()
    {
        // a - b = 1 2 3: mean 2, sd 1, se = 1/√3, t = 2√3 = 3.464102, df 2.
        // For df 2, P(|T| > t) = 1 - t/√(2 + t²) = 1 - √(12/14) = 0.0741799.
        // d_z = 2/1 = 2; A beats B on all 3 seeds. t(0.975, 2) = 4.303 (t table): half-width 4.302653/√3 = 2.484138.
        var c = PairedComparison.Of(BySeed(11, 13, 15), BySeed(10, 11, 12), PairedOptions.Default);
        Assert.Equal(3, c.SharedSeeds);
        Assert.Equal(2, c.MeanDifference!.Value, 12);
        Assert.Equal(1, c.DifferenceStandardDeviation!.Value, 12);
        Assert.Equal(0.0741799, c.TTestP!.Value, 6);
        Assert.Equal(2, c.EffectSizeDz!.Value, 12);
        Assert.Equal(1, c.ProbabilityABeatsB);
        Assert.Equal(2.484138, c.TInterval!.HalfWidth, 4);
    }

    [Fact]
    public void Only_shared_seeds_count_and_ties_count_half()
    {
        var a = new Dictionary<int, double> { [1] = 0.9, [2] = 0.8, [3] = 0.7, [9] = 0.1 };
        var b = new Dictionary<int, double> { [1] = 0.8, [2] = 0.8, [3] = 0.6, [7] = 0.5 };
        var c = PairedComparison.Of(a, b, PairedOptions.Default);
        Assert.Equal(3, c.SharedSeeds);
        // Differences 0.1, 0, 0.1: wins 1 + 0.5 + 1 out of 3.
        Assert.Equal(2.5 / 3, c.ProbabilityABeatsB!.Value, 12);
        Assert.Equal(0.2 / 3, c.MeanDifference!.Value, 12);
    }

    [Fact]
    public void No_or_one_shared_seed_gives_no_test()
    {
        var none = PairedComparison.Of(BySeed(1, 2), new Dictionary<int, double> { [5] = 1 }, PairedOptions.Default);
        Assert.Equal(0, none.SharedSeeds);
        Assert.Null(none.MeanDifference);
        var one = PairedComparison.Of(BySeed(1), BySeed(0.5), PairedOptions.Default);
        Assert.Equal(1, one.SharedSeeds);
        Assert.Equal(0.5, one.MeanDifference);
        Assert.Null(one.TTestP);
        Assert.Null(one.Wilcoxon);
        Assert.Null(one.BootstrapInterval);
    }

    [Fact]
    public void Constant_differences_leave_the_t_test_undefined()
    {
        var c = PairedComparison.Of(BySeed(2, 3, 4), BySeed(1, 2, 3), PairedOptions.Default with { EquivalenceMargin = 5 });
        Assert.Equal(1, c.MeanDifference!.Value, 12);
        Assert.Null(c.TTestP);
        Assert.Null(c.EffectSizeDz);
        Assert.Null(c.Equivalence);
        Assert.Equal(new Interval(1, 1), c.BootstrapInterval);
    }

    [Fact]
    public void Paired_and_unpaired_differ_on_seed_correlated_data()
    {
        // Seeds spread both arms widely (sd 0.05) but A is B + 0.01 ± 0.002 on every seed: pairing
        // removes the shared spread, so only the paired test sees the difference.
        var b = CellStatisticsTests.NormalSample(20, mean: 0.85, sd: 0.05, seed: 11);
        var noise = CellStatisticsTests.NormalSample(20, mean: 0.01, sd: 0.002, seed: 12);
        var a = b.Zip(noise, (x, e) => x + e).ToArray();
        var paired = PairedComparison.Of(BySeed(a), BySeed(b), PairedOptions.Default);
        var unpaired = UnpairedComparison.Of(a, b, BootstrapOptions.Default);
        Assert.Equal(paired.MeanDifference!.Value, unpaired.MeanDifference!.Value, 12);
        Assert.True(paired.TTestP < 1e-6, $"paired p {paired.TTestP}");
        Assert.True(unpaired.WelchP > 0.3, $"Welch p {unpaired.WelchP}");
        Assert.True(paired.BootstrapInterval!.HalfWidth < unpaired.BootstrapInterval!.HalfWidth / 5);
    }

    [Fact]
    public void Welch_matches_the_closed_form_for_two_degrees_of_freedom()
    {
        // a = 0 2 (mean 1, var 2), b = 3 5 (mean 4, var 2): se = √(2/2 + 2/2) = √2, t = -3/√2;
        // df = (1 + 1)² / (1²/1 + 1²/1) = 2; p = 1 - √(t²/(2 + t²)) = 1 - √(4.5/6.5) = 0.1679497.
        var c = UnpairedComparison.Of([0, 2], [3, 5], BootstrapOptions.Default);
        Assert.Equal(-3, c.MeanDifference!.Value, 12);
        Assert.Equal(2, c.DegreesOfFreedom!.Value, 12);
        Assert.Equal(0.1679497, c.WelchP!.Value, 6);
    }

    [Fact]
    public void Unpaired_with_too_few_values_gives_no_test()
    {
        var c = UnpairedComparison.Of([1], [2, 3], BootstrapOptions.Default);
        Assert.Equal(-1.5, c.MeanDifference);
        Assert.Null(c.WelchP);
        Assert.Null(UnpairedComparison.Of([], [2, 3], BootstrapOptions.Default).MeanDifference);
    }

    [Theory]
    // a - b = 1 2 3 (mean 2, se 1/√3, df 2). For df 2, P(T < -|t|) = (1 - |t|/√(2 + t²))/2.
    // Margin 3: t = (2 - 3)√3 = -√3, p = (1 - √(3/5))/2 = 0.1127017 (the other side is smaller) → not equivalent.
    // Margin 5: t = -3√3, p = (1 - √(27/29))/2 = 0.0175494; other side t = 7√3, (1 - √(147/149))/2 = 0.0033670 → equivalent.
    [InlineData(3, 0.1127017, false)]
    [InlineData(5, 0.0175494, true)]
    public void Tost_takes_the_larger_one_sided_p(double margin, double expectedP, bool equivalent)
    {
        var c = PairedComparison.Of(BySeed(11, 13, 15), BySeed(10, 11, 12), PairedOptions.Default with { EquivalenceMargin = margin });
        Assert.Equal(expectedP, c.Equivalence!.P, 6);
        Assert.Equal(equivalent, c.Equivalence.Equivalent);
    }
}
