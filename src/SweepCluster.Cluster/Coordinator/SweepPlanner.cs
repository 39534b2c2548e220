using SweepCluster.Cluster.Protocol;
using SweepCluster.Sweeps;

namespace SweepCluster.Cluster.Coordinator;

/// <summary>Expands YAML specs into the coordinator's trials (docs/spec.md).</summary>
public static class SweepPlanner
{
    /// <summary>Parses and expands a spec under the reader's limits; throws <see cref="SpecException"/> listing every problem.</summary>
    public static SweepPlan Plan(string specYaml, string sourceName, SpecOptions options)
    {
        var expanded = SweepExpansion.Expand(SweepSpecParser.Parse(specYaml, sourceName, options));
        var adaptive = expanded.Spec.Seeds is AdaptiveSeeds a
            ? new AdaptiveSeedPolicy(new Analysis.SeedPolicy { Min = a.Min, Max = a.Max, Batch = a.Batch, TargetHalfWidth = a.TargetHalfwidth }, a.Metric)
            : null;
        return new SweepPlan(expanded.Spec.Name,
            expanded.Trials.Select(t => new PlannedTrial(t.Id, t.CellKey, t.CellLabel, t.Config)).ToList(), adaptive, expanded.Spec.EquivalenceMargin);
    }

    /// <summary>
    /// The trials of a sweep already accepted, as they were planned then: relative paths against
    /// the folder recorded with it, and no limit applied again, so recovery never depends on
    /// settings changed since.
    /// </summary>
    public static SweepPlan Replan(SweepSubmitted submitted) =>
        Plan(submitted.SpecYaml, submitted.SourceName, SpecOptions.Accepted(submitted.BaseDirectory, submitted.AutoDataset));
}
