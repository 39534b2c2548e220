using SweepCluster.Training.Labels;

namespace SweepCluster.Training.Tests;

public class LabelCorruptionTests
{
    static readonly int[] TrueLabels = TestData.Catalog.Load(new()).Train.Labels;

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.333)]
    [InlineData(1.0)]
    public void Shuffle_selects_exactly_round_p_n_and_keeps_class_counts(double p)
    {
        var result = LabelCorruption.Apply(TrueLabels, p, NoiseModel.Shuffle, 10, noiseSeed: 11);
        var expected = (int)Math.Round(p * TrueLabels.Length, MidpointRounding.AwayFromZero);
        Assert.Equal(expected, result.SelectedCount);
        Assert.Equal(expected, result.Selected.Count(s => s));
        Assert.Equal(TrueLabels.CountBy(l => l).OrderBy(k => k.Key), result.Labels.CountBy(l => l).OrderBy(k => k.Key));
        // Only selected examples may change.
        Assert.All(Enumerable.Range(0, TrueLabels.Length).Where(i => !result.Selected[i]), i => Assert.Equal(TrueLabels[i], result.Labels[i]));
    }

    [Theory]
    [InlineData(NoiseModel.Shuffle)]
    [InlineData(NoiseModel.Uniform)]
    public void The_realised_fraction_is_the_share_of_labels_that_changed(NoiseModel model)
    {
        var result = LabelCorruption.Apply(TrueLabels, 0.6, model, 10, noiseSeed: 5);
        var changed = TrueLabels.Where((l, i) => result.Labels[i] != l).Count();
        Assert.Equal((double)changed / TrueLabels.Length, result.RealisedFraction);
        // About 1 in 10 of the chosen draws lands on the true class again: expect about 0.9p.
        Assert.InRange(result.RealisedFraction, 0.6 * 0.85, 0.6 * 0.95);
    }

    [Theory]
    [InlineData(NoiseModel.Shuffle)]
    [InlineData(NoiseModel.Uniform)]
    public void Zero_noise_changes_nothing(NoiseModel model)
    {
        var result = LabelCorruption.Apply(TrueLabels, 0, model, 10, noiseSeed: 3);
        Assert.Equal(TrueLabels, result.Labels);
        Assert.Equal(0, result.SelectedCount);
        Assert.Equal(0, result.RealisedFraction);
    }

    [Fact]
    public void The_same_noise_seed_gives_the_same_labels_and_another_seed_other_labels()
    {
        var a = LabelCorruption.Apply(TrueLabels, 0.5, NoiseModel.Uniform, 10, noiseSeed: 42);
        var b = LabelCorruption.Apply(TrueLabels, 0.5, NoiseModel.Uniform, 10, noiseSeed: 42);
        var c = LabelCorruption.Apply(TrueLabels, 0.5, NoiseModel.Uniform, 10, noiseSeed: 43);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.LabelsHash, b.LabelsHash);
        Assert.Equal(a.MaskHash, b.MaskHash);
        Assert.NotEqual(a.LabelsHash, c.LabelsHash);
        Assert.NotEqual(a.MaskHash, c.MaskHash);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_fraction_outside_zero_to_one_is_refused(double p)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LabelCorruption.Apply(TrueLabels, p, NoiseModel.Shuffle, 10, 1));
        Assert.Contains("noise fraction must be in [0, 1]", error.Message);
    }
}
