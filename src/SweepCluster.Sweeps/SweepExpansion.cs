using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps;

/// <summary>One trial of a sweep: its id (<see cref="TrialConfig.Hash"/>), its cell and its normalised configuration.</summary>
public sealed record SweepTrial(string Id, string CellKey, string CellLabel, TrialConfig Config, TrialWork Work);

/// <summary>Trials that differ only by seed: the unit that results are aggregated over.</summary>
public sealed record SweepCell(string Key, string Label, IReadOnlyList<SweepTrial> Trials)
{
    public Arm Arm => Trials[0].Config.Arm;
    public IReadOnlyList<int> Seeds => Trials.Select(t => t.Config.Seed).ToList();
}

/// <summary>The summed estimate of a sweep; trials whose dataset size is unknown are counted apart.</summary>
public sealed record SweepWork(double TrainingImages, double Flops, int TrialsOfUnknownSize);

/// <summary>A spec's trials, in expansion order, without duplicates, and its cells in order of first trial.</summary>
/// <param name="Generated">Trials listed before duplicates were removed.</param>
public sealed record ExpandedSweep(SweepSpec Spec, IReadOnlyList<SweepTrial> Trials, IReadOnlyList<SweepCell> Cells, int Generated)
{
    public int DuplicatesRemoved => Generated - Trials.Count;

    public SweepWork Work => new(
        Trials.Sum(t => t.Work.TrainingImages ?? 0),
        Trials.Sum(t => t.Work.Flops ?? 0),
        Trials.Count(t => t.Work.TrainingImages is null));
}

/// <summary>
/// Lists a spec's trials: for each arm (in the spec's order), each grid point (axes in
/// <see cref="Hyperparameters.All"/> order, the last varying fastest), each sampled point, each
/// seed. Axes an arm does not use are not crossed for it. Every configuration is normalised and
/// identified by its hash; a trial already listed is dropped, so the first occurrence keeps its place.
/// </summary>
public static class SweepExpansion
{
    /// <summary>
    /// How many trials the spec lists before duplicates are removed, with every seed an adaptive
    /// policy may add: computed by multiplication, so a huge grid is refused without being listed.
    /// </summary>
    public static BigInteger CountUpperBound(SweepSpec spec)
    {
        BigInteger gridPoints = 0;
        foreach (var arm in spec.Arms)
            gridPoints += spec.Grid.Where(a => a.Parameter.AppliesTo(arm))
                .Aggregate(BigInteger.One, (product, axis) => product * axis.Count);
        return gridPoints * (spec.Sample?.Count ?? 1) * spec.Seeds.MaxSeedsPerCell;
    }

    /// <summary>The trials and cells of <paramref name="spec"/>.</summary>
    /// <exception cref="ArgumentException">The spec would exceed its <see cref="SweepSpec.MaxTrials"/>.</exception>
    public static ExpandedSweep Expand(SweepSpec spec)
    {
        var bound = CountUpperBound(spec);
        if (bound > spec.MaxTrials)
            throw new ArgumentException($"sweep {spec.Name} expands to {bound:N0} trials, over its limit of {spec.MaxTrials:N0}", nameof(spec));

        IReadOnlyList<IReadOnlyList<SampledValue>> samplePoints = spec.Sample?.Points() ?? [[]];
        var candidates = new List<(int Point, TrialConfig Config)>();
        var points = 0;
        foreach (var arm in spec.Arms)
        {
            var axes = spec.Grid.Where(a => a.Parameter.AppliesTo(arm)).ToList();
            foreach (var gridPoint in Cross(spec.BaseConfig(arm), axes, 0))
            foreach (var samplePoint in samplePoints)
            {
                var sampled = samplePoint.Where(v => v.Parameter.AppliesTo(arm)).Aggregate(gridPoint, (config, value) => value.Apply(config));
                foreach (var seed in spec.Seeds.InitialSeeds) candidates.Add((points, (sampled with { Seed = seed }).Normalise()));
                points++;
            }
        }

        // Hashing is most of the work, and each trial's is its own: spread over the cores, since
        // a recovering coordinator expands every sweep it holds before it dispatches again.
        var ids = new string[candidates.Count];
        Parallel.For(0, candidates.Count, i => ids[i] = candidates[i].Config.Hash());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unique = new List<(string Id, string CellKey, TrialConfig Config)>();
        // One cell per point: its key leaves the seeds out, so it is computed once, not per seed.
        var cellKeys = new string?[points];
        for (var i = 0; i < candidates.Count; i++)
        {
            var (point, config) = candidates[i];
            if (seen.Add(ids[i])) unique.Add((ids[i], cellKeys[point] ??= CellKey(config), config));
        }

        // Labels and work estimates depend on nothing a seed changes: one per cell, from its first trial.
        var cellConfigs = unique.DistinctBy(t => t.CellKey).Select(t => (t.CellKey, t.Config)).ToList();
        var labels = new CellLabeller(cellConfigs.Select(c => c.Config).ToList());
        var perCell = cellConfigs.ToDictionary(c => c.CellKey, c => (Label: labels.Label(c.Config), Work: WorkEstimator.Estimate(c.Config)));
        var trials = unique.Select(t => new SweepTrial(t.Id, t.CellKey, perCell[t.CellKey].Label, t.Config, perCell[t.CellKey].Work)).ToList();
        var cells = trials.GroupBy(t => t.CellKey).Select(g => new SweepCell(g.Key, g.First().CellLabel, g.ToList())).ToList();
        return new ExpandedSweep(spec, trials, cells, candidates.Count);
    }

    /// <summary>
    /// SHA-256 (hex) of the canonical configuration without <c>seed</c>, <c>noise_seed</c> and
    /// the streams derived from them (<c>seeds</c>): equal for trials that differ only by seed.
    /// </summary>
    public static string CellKey(TrialConfig config) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(config.Normalise().CanonicalJsonWithoutSeeds())));

    static IEnumerable<TrialConfig> Cross(TrialConfig config, IReadOnlyList<GridAxis> axes, int depth)
    {
        if (depth == axes.Count)
        {
            yield return config;
            yield break;
        }
        for (var i = 0; i < axes[depth].Count; i++)
            foreach (var point in Cross(axes[depth].Apply(config, i), axes, depth + 1))
                yield return point;
    }
}
