using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SweepCluster.Training.Trials;

namespace SweepCluster.Training.Labels;

public enum NoiseModel
{
    /// <summary>Permute the labels of the chosen examples among themselves: class counts are kept (the original experiment at p = 1).</summary>
    Shuffle,
    /// <summary>Replace each chosen label with a class drawn uniformly; about 1/K of them land on the true class again.</summary>
    Uniform,
}

/// <summary>Corrupted training labels and what the corruption did.</summary>
/// <param name="Labels">The labels to train on.</param>
/// <param name="Selected">Which examples were chosen for corruption (exactly round(p * n) of them).</param>
/// <param name="SelectedCount">How many were chosen.</param>
/// <param name="RealisedFraction">The fraction whose label now differs from the true one; below p because some draws land on the true class.</param>
/// <param name="LabelsHash">SHA-256 (hex) of the corrupted labels as little-endian int32s.</param>
/// <param name="MaskHash">SHA-256 (hex) of the selection mask, one byte per example.</param>
public sealed record CorruptedLabels(
    int[] Labels, bool[] Selected, int SelectedCount, double RealisedFraction, string LabelsHash, string MaskHash)
{
    /// <summary>Whether example i's training label differs from its true label.</summary>
    public bool IsCorrupted(int i, int[] trueLabels) => Labels[i] != trueLabels[i];
}

/// <summary>
/// Label noise with fraction p in [0, 1]. The result depends only on (true labels, p, model,
/// class count, noise seed), so a corruption is reproducible and identified by its hash.
/// </summary>
public static class LabelCorruption
{
    public static CorruptedLabels Apply(int[] trueLabels, double fraction, NoiseModel model, int classCount, ulong noiseSeed)
    {
        if (double.IsNaN(fraction) || fraction is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "noise fraction must be in [0, 1]");
        var n = trueLabels.Length;
        var rng = new SplitMix64(noiseSeed);
        var count = (int)Math.Round(fraction * n, MidpointRounding.AwayFromZero);

        // The first `count` entries of a random permutation are a uniform sample without replacement.
        var chosen = rng.Permutation(n).AsSpan(0, count).ToArray();
        var labels = (int[])trueLabels.Clone();
        var selected = new bool[n];
        foreach (var i in chosen) selected[i] = true;

        switch (model)
        {
            case NoiseModel.Shuffle:
                var pool = chosen.Select(i => trueLabels[i]).ToArray();
                rng.Shuffle(pool.AsSpan());
                for (var k = 0; k < chosen.Length; k++) labels[chosen[k]] = pool[k];
                break;
            case NoiseModel.Uniform:
                foreach (var i in chosen) labels[i] = rng.NextInt(classCount);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(model), model, null);
        }

        var changed = 0;
        for (var i = 0; i < n; i++)
            if (labels[i] != trueLabels[i]) changed++;
        return new CorruptedLabels(
            labels, selected, count, n == 0 ? 0 : (double)changed / n,
            Hash(MemoryMarshal.AsBytes(labels.AsSpan())), Hash(MemoryMarshal.AsBytes(selected.AsSpan())));
    }

    static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
