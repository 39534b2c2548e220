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
}
