namespace SweepCluster.Analysis.Tests;

public sealed class HolmTests
{
    [Fact]
    public void The_step_down_adjustment_keeps_the_original_order()
    {
        // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → raised to 0.06 to stay monotone.
        var adjusted = Holm.Adjust([0.01, 0.04, 0.03, 0.005]);
        Assert.Equal([0.03, 0.06, 0.06, 0.02], adjusted.Select(p => Math.Round(p, 12)));
    }

    [Fact]
    public void Adjusted_values_are_capped_at_one() =>
        Assert.Equal([1.0, 1.0], Holm.Adjust([0.6, 0.9]));

    [Fact]
    public void An_empty_family_adjusts_to_nothing() => Assert.Empty(Holm.Adjust([]));
}
