using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SweepCluster.Training.Trials;

namespace SweepCluster.Training.Data;

/// <summary>Indices into the training images: which ones train, which ones validate.</summary>
public sealed record ValidationSplit(int[] Train, int[] Validation, bool ByGroup, string Hash)
{
    /// <summary>
    /// Carves a validation split out of the training images with the trial's split stream. When the
    /// images carry group ids (State Farm's drivers) whole groups go to one side, so validation
    /// never sees a driver that training saw; that leak is what inflates accuracy on State Farm.
    /// </summary>
    public static ValidationSplit Carve(ImageSet train, double fraction, ulong splitSeed)
    {
        if (double.IsNaN(fraction) || fraction is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "validation fraction must be in [0, 1)");
        var rng = new SplitMix64(splitSeed);
        var target = (int)Math.Round(fraction * train.Count, MidpointRounding.AwayFromZero);
        var inValidation = new bool[train.Count];
        var byGroup = train.Groups is not null;
        if (byGroup)
        {
            var groups = train.Groups!.Distinct().Order().ToArray();
            rng.Shuffle(groups.AsSpan());
            var sizes = train.Groups!.CountBy(g => g).ToDictionary(p => p.Key, p => p.Value);
            var chosen = new HashSet<int>();
            var taken = 0;
            foreach (var g in groups)
            {
                if (taken >= target) break;
                chosen.Add(g);
                taken += sizes[g];
            }
            for (var i = 0; i < train.Count; i++) inValidation[i] = chosen.Contains(train.Groups![i]);
        }
        else
        {
            foreach (var i in rng.Permutation(train.Count).AsSpan(0, target)) inValidation[i] = true;
        }

        var trainIdx = Enumerable.Range(0, train.Count).Where(i => !inValidation[i]).ToArray();
        var validationIdx = Enumerable.Range(0, train.Count).Where(i => inValidation[i]).ToArray();
        var hash = Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(inValidation.AsSpan())));
        return new ValidationSplit(trainIdx, validationIdx, byGroup, hash);
    }
}
