using FsCheck.Xunit;
using SweepCluster.Training.Labels;

namespace SweepCluster.Training.Tests;

/// <summary>Properties of label corruption over random labels, fractions and seeds (FsCheck).</summary>
public class LabelCorruptionProperties
{
    const int Classes = 10;

    static int[] Labels(byte[] raw) => raw.Select(b => b % Classes).ToArray();

    static double Fraction(ushort raw) => raw / (double)ushort.MaxValue;

    [Property(MaxTest = 300)]
    public bool Shuffle_keeps_every_class_count_and_changes_only_chosen_labels(byte[] raw, ushort p, ulong seed)
    {
        var labels = Labels(raw);
        var result = LabelCorruption.Apply(labels, Fraction(p), NoiseModel.Shuffle, Classes, seed);
        return labels.Order().SequenceEqual(result.Labels.Order())
               && Enumerable.Range(0, labels.Length).All(i => result.Selected[i] || result.Labels[i] == labels[i]);
    }

    [Property(MaxTest = 300)]
    public bool Exactly_round_p_n_are_chosen_and_the_realised_fraction_never_exceeds_p(byte[] raw, ushort p, ulong seed, bool uniform)
    {
        var labels = Labels(raw);
        var fraction = Fraction(p);
        var result = LabelCorruption.Apply(labels, fraction, uniform ? NoiseModel.Uniform : NoiseModel.Shuffle, Classes, seed);
        var expected = (int)Math.Round(fraction * labels.Length, MidpointRounding.AwayFromZero);
        return result.SelectedCount == expected
               && result.Selected.Count(s => s) == expected
               && result.RealisedFraction <= (double)expected / Math.Max(1, labels.Length)
               && result.Labels.All(l => l is >= 0 and < Classes);
    }

    [Property(MaxTest = 200)]
    public bool The_same_inputs_give_the_same_labels_and_p_zero_changes_nothing(byte[] raw, ushort p, ulong seed, bool uniform)
    {
        var labels = Labels(raw);
        var model = uniform ? NoiseModel.Uniform : NoiseModel.Shuffle;
        var first = LabelCorruption.Apply(labels, Fraction(p), model, Classes, seed);
        var again = LabelCorruption.Apply(labels, Fraction(p), model, Classes, seed);
        var none = LabelCorruption.Apply(labels, 0, model, Classes, seed);
        return first.Labels.SequenceEqual(again.Labels) && first.LabelsHash == again.LabelsHash && first.MaskHash == again.MaskHash
               && none.Labels.SequenceEqual(labels) && none.RealisedFraction == 0;
    }
}
