namespace SweepCluster.Analysis;

/// <summary>
/// One trial's metric as the default comparisons need it. <see cref="Config"/> identifies the
/// configuration apart from arm, noise, seed and the settings only some arms have (learning rate,
/// batch size, fine-tuning epochs, dense width, optimizer): trials that share it are comparable
/// across arms. <see cref="Settings"/> holds the arm's own settings (noise model, pre-training
/// epochs, ...), which must agree with the other side's where both have them.
/// </summary>
public sealed record Observation(string Arm, double Noise, string Config, int Seed, double Value)
{
    public ArmSettings Settings { get; init; } = ArmSettings.None;
}

/// <summary>An arm at one noise level with its own settings: the unit a comparison sets against another.</summary>
public sealed record ArmLevel(string Arm, double Noise)
{
    public ArmSettings Settings { get; init; } = ArmSettings.None;

    public override string ToString()
    {
        var level = Noise == 0 ? Arm : $"{Arm}@{Noise:R}";
        return Settings.Values.Count == 0 ? level : $"{level} {Settings}";
    }
}

/// <summary>
/// One default comparison, A - B paired on seeds, with its p-values Holm-adjusted across every
/// comparison of the same report (null where the raw p-value is null).
/// </summary>
public sealed record ComparisonResult(
    string Config, ArmLevel A, ArmLevel B, PairedComparison Paired, double? HolmTTestP, double? HolmWilcoxonP);

/// <summary>The comparisons a sweep report makes by default, within each configuration.</summary>
public static class SweepComparisons
{
    /// <summary>The control every other arm is measured against: features never trained.</summary>
    public const string Control = "random-frozen";
    public const string True = "true";
    public const string Noisy = "noisy";

    /// <summary>
    /// Within each configuration: every arm level against <see cref="Control"/>, and every
    /// <see cref="Noisy"/> level against <see cref="True"/>, where both sides are present and
    /// agree on every setting both have (<see cref="ArmSettings.AgreesWith"/>). The
    /// t-test and Wilcoxon p-values are each Holm-adjusted over all comparisons that have one.
    /// Ordered by configuration, then A, then B, so a report reads the same every time.
    /// </summary>
    public static IReadOnlyList<ComparisonResult> Default(IReadOnlyList<Observation> observations, PairedOptions options)
    {
        var cells = new Dictionary<(string Config, ArmLevel Level), Dictionary<int, double>>();
        foreach (var o in observations)
        {
            var key = (o.Config, new ArmLevel(o.Arm, o.Noise) { Settings = o.Settings });
            if (!cells.TryGetValue(key, out var seeds))
                cells[key] = seeds = [];
            if (!seeds.TryAdd(o.Seed, o.Value))
                throw new ArgumentException($"seed {o.Seed} appears twice for {key.Item2} in configuration {o.Config}", nameof(observations));
        }

        var pairs = new List<(string Config, ArmLevel A, ArmLevel B)>();
        foreach (var config in cells.Keys.Select(k => k.Config).Distinct().Order(StringComparer.Ordinal))
        {
            var levels = cells.Keys.Where(k => k.Config == config).Select(k => k.Level)
                .OrderBy(l => l.Arm, StringComparer.Ordinal).ThenBy(l => l.Noise).ThenBy(l => l.Settings.ToString(), StringComparer.Ordinal).ToList();
            foreach (var level in levels)
            {
                foreach (var baseline in levels)
                    if (IsBaseline(level, baseline) && level.Settings.AgreesWith(baseline.Settings))
                        pairs.Add((config, level, baseline));
            }
        }

        var compared = pairs.Select(p => (p.Config, p.A, p.B, Paired: PairedComparison.Of(cells[(p.Config, p.A)], cells[(p.Config, p.B)], options))).ToList();
        var holmT = AdjustPresent(compared.Select(c => c.Paired.TTestP).ToList());
        var holmW = AdjustPresent(compared.Select(c => c.Paired.Wilcoxon?.P).ToList());
        return compared.Select((c, i) => new ComparisonResult(c.Config, c.A, c.B, c.Paired, holmT[i], holmW[i])).ToList();
    }

    /// <summary>Whether <paramref name="level"/> is measured against <paramref name="baseline"/>: the control for every other arm, true labels for noisy ones.</summary>
    static bool IsBaseline(ArmLevel level, ArmLevel baseline) =>
        (baseline.Arm == Control && level.Arm != Control) || (baseline.Arm == True && level.Arm == Noisy);

    /// <summary>Holm over the p-values that exist; a comparison without one (too few seeds) is not part of the family.</summary>
    static double?[] AdjustPresent(IReadOnlyList<double?> pValues)
    {
        var present = Enumerable.Range(0, pValues.Count).Where(i => pValues[i] is not null).ToArray();
        var adjusted = Holm.Adjust(present.Select(i => pValues[i]!.Value).ToList());
        var result = new double?[pValues.Count];
        for (var k = 0; k < present.Length; k++)
            result[present[k]] = adjusted[k];
        return result;
    }
}
