namespace SweepCluster.Analysis.Tests;

public sealed class WilcoxonTests
{
    [Fact]
    public void Five_positive_differences_have_exact_p_2_over_32()
    {
        // All 5 signs positive: W+ = 15 is the single most extreme of 2^5 = 32 sign patterns, two-sided p = 2/32.
        var r = Wilcoxon.SignedRank([1, 2, 3, 4, 5])!;
        Assert.Equal(WilcoxonMethod.Exact, r.Method);
        Assert.Equal(15, r.WPlus);
        Assert.Equal(0.0625, r.P, 12);
    }

    [Theory]
    // n = 8: the table of critical values of the signed-rank statistic (e.g. Siegel, Nonparametric
    // Statistics, Table G) gives T = 3 as the largest significant at two-sided 0.05. Counting subsets
    // of 1..8 by sum: sums 0,1,2,3 have 1,1,1,2 subsets and sum 4 has 2, so P(T ≤ 3) = 5/256 and
    // P(T ≤ 4) = 7/256: two-sided p 10/256 = 0.0390625 < 0.05 and 14/256 = 0.0546875 > 0.05.
    [InlineData(new double[] { -1, -2, 3, 4, 5, 6, 7, 8 }, 3, 0.0390625)]
    [InlineData(new double[] { 1, 2, 3, -4, 5, 6, 7, 8 }, 4, 0.0546875)]
    public void The_exact_distribution_matches_the_critical_value_table(double[] differences, double wMinus, double p)
    {
        var r = Wilcoxon.SignedRank(differences)!;
        Assert.Equal(WilcoxonMethod.Exact, r.Method);
        Assert.Equal(36 - wMinus, r.WPlus);
        Assert.Equal(p, r.P, 12);
    }

    [Fact]
    public void Ties_use_the_normal_approximation_with_tie_and_continuity_corrections()
    {
        // The 0 is dropped, leaving n = 10 with |d| = 1 1 1 2 2 2 3 3 3 4: average ranks 2, 5, 8 and 10.
        // W+ = (2 + 2) + (5 + 5) + (8 + 8 + 8) + 10 = 48. Mean n(n+1)/4 = 27.5;
        // variance n(n+1)(2n+1)/24 - Σ(t³ - t)/48 = 96.25 - 3·24/48 = 94.75;
        // z = (48 - 27.5 - 0.5)/√94.75 = 2.054662; p = 2(1 - Φ(z)) = erfc(z/√2) = 0.0399117.
        var r = Wilcoxon.SignedRank([0, 1, -1, 1, 2, 2, -2, 3, 3, 3, 4])!;
        Assert.Equal(WilcoxonMethod.NormalApproximation, r.Method);
        Assert.Equal(10, r.N);
        Assert.Equal(48, r.WPlus);
        Assert.Equal(0.0399117, r.P, 6);
    }

    [Fact]
    public void Only_zero_differences_give_no_test() => Assert.Null(Wilcoxon.SignedRank([0, 0, 0]));
}
