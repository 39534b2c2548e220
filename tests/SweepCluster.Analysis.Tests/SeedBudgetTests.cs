namespace SweepCluster.Analysis.Tests;

public sealed class SeedBudgetTests
{
    static readonly SeedPolicy _policy = new() { Min = 5, Max = 20, Batch = 4, TargetHalfWidth = 0.01 };

    [Fact]
    public void Below_the_minimum_it_fills_up_to_the_minimum_at_least()
    {
        Assert.Equal(5, SeedBudget.AdditionalSeeds(_policy, []));
        // Three equal values have half-width 0, yet the minimum still applies.
        Assert.Equal(2, SeedBudget.AdditionalSeeds(_policy, [0.9, 0.9, 0.9]));
        // Wide spread and 3 < min: the batch (4) exceeds min - n (2).
        Assert.Equal(4, SeedBudget.AdditionalSeeds(_policy, [0.1, 0.9, 0.5]));
    }

    [Fact]
    public void It_stops_once_the_half_width_reaches_the_target()
    {
        // sd 0.001 at n = 6: half-width 2.571 · 0.001/√6 ≈ 0.001 ≤ 0.01.
        Assert.Equal(0, SeedBudget.AdditionalSeeds(_policy, [0.880, 0.881, 0.882, 0.880, 0.881, 0.882]));
    }

    [Fact]
    public void It_adds_a_batch_while_the_interval_is_too_wide_and_stops_at_the_maximum()
    {
        var wide = Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? 0.8 : 0.9).ToArray();
        Assert.Equal(4, SeedBudget.AdditionalSeeds(_policy, wide));
        Assert.Equal(2, SeedBudget.AdditionalSeeds(_policy, wide.Concat(wide[..8]).ToArray()));
        Assert.Equal(0, SeedBudget.AdditionalSeeds(_policy, wide.Concat(wide).ToArray()));
    }

    [Fact]
    public void An_inconsistent_policy_is_refused() =>
        Assert.Throws<ArgumentException>(() => SeedBudget.AdditionalSeeds(_policy with { Max = 3 }, []));

    [Theory]
    // sd 0.01, target 0.005: the normal approximation says (1.96 · 2)² = 15.4; t needs more.
    // n = 17: t(0.975, 16) = 2.1199 · 0.01/√17 = 0.005142 > 0.005; n = 18: 2.1098 · 0.01/√18 = 0.004973 ≤ 0.005.
    [InlineData(0.01, 0.005, 18)]
    // At target = sd, n = 7: 2.4469/√7 = 0.9248 ≤ 1, while n = 6: 2.5706/√6 = 1.0494 > 1.
    [InlineData(1.0, 1.0, 7)]
    // No spread: two values already give a point interval.
    [InlineData(0.0, 0.001, 2)]
    public void Seeds_for_a_half_width_is_the_smallest_n_whose_t_interval_is_narrow_enough(double sd, double target, int expected)
        => Assert.Equal(expected, SeedBudget.SeedsForHalfWidth(sd, target));

    [Fact]
    public void Seeds_for_a_half_width_past_the_limit_is_null()
    {
        Assert.Null(SeedBudget.SeedsForHalfWidth(1, 0.0001, limit: 1_000));
        Assert.Throws<ArgumentException>(() => SeedBudget.SeedsForHalfWidth(1, 0));
    }
}
