using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps;

/// <summary>
/// Labels like <c>noisy p=0.5 shuffle lr=0.0001 bs=64</c>: the arm, its noise, and only the
/// fields that take more than one value across <paramref name="configs"/> among the arms that use
/// them. Built over a sweep's configurations, it labels that sweep's cells; a report rebuilds it
/// from the stored trials, so its labels match the ones `sweep run` showed.
/// </summary>
public sealed class CellLabeller(IReadOnlyList<TrialConfig> configs)
{
    readonly HashSet<Hyperparameter> _varying = Hyperparameters.All
        .Where(p => configs.Where(c => p.AppliesTo(c.Arm)).Select(p.Describe).Distinct().Skip(1).Any())
        .ToHashSet();

    /// <summary>The label of <paramref name="config"/>'s cell, leaving out <paramref name="omitted"/> (a plot whose axis is the noise omits it).</summary>
    public string Label(TrialConfig config, params Hyperparameter[] omitted) => string.Join(" ", Hyperparameters.All
        .Where(p => p.AppliesTo(config.Arm) && (p.DescribesArm || _varying.Contains(p)) && !omitted.Contains(p))
        .Select(p => p.Label.Length == 0 ? p.Describe(config) : $"{p.Label}={p.Describe(config)}")
        .Prepend(TrialConfig.Format(config.Arm)));
}
