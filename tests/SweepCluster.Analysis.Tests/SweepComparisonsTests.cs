namespace SweepCluster.Analysis.Tests;

public sealed class SweepComparisonsTests
{
    static IEnumerable<Observation> Arm(string arm, double noise, string config, params double[] values) =>
        values.Select((v, seed) => new Observation(arm, noise, config, seed, v));

    [Fact]
    public void Each_arm_meets_the_control_and_noisy_meets_true_within_a_configuration()
    {
        var observations = Arm("random-frozen", 0, "lr=0.01", 0.80, 0.82, 0.81, 0.83)
            .Concat(Arm("true", 0, "lr=0.01", 0.90, 0.91, 0.92, 0.90))
            .Concat(Arm("noisy", 0.5, "lr=0.01", 0.85, 0.86, 0.84, 0.88))
            .Concat(Arm("head-only", 0, "lr=0.01", 0.70, 0.72, 0.71, 0.75))
            // Another configuration has no control, so its true arm is compared with nothing.
            .Concat(Arm("true", 0, "lr=0.1", 0.5, 0.6, 0.7, 0.8))
            .ToList();
        var results = SweepComparisons.Default(observations, PairedOptions.Default);
        Assert.Equal(
            ["head-only vs random-frozen", "noisy@0.5 vs random-frozen", "noisy@0.5 vs true", "true vs random-frozen"],
            results.Select(r => $"{r.A} vs {r.B}"));
        Assert.All(results, r => Assert.Equal("lr=0.01", r.Config));
        Assert.All(results, r => Assert.Equal(4, r.Paired.SharedSeeds));
    }

    [Fact]
    public void P_values_are_holm_adjusted_across_the_report()
    {
        var observations = Arm("random-frozen", 0, "c", 0.80, 0.82, 0.81, 0.83, 0.79)
            .Concat(Arm("true", 0, "c", 0.90, 0.93, 0.92, 0.90, 0.91))
            .Concat(Arm("head-only", 0, "c", 0.81, 0.81, 0.80, 0.84, 0.80))
            .ToList();
        var results = SweepComparisons.Default(observations, PairedOptions.Default);
        var raw = results.Select(r => r.Paired.TTestP!.Value).ToList();
        Assert.Equal(Holm.Adjust(raw), results.Select(r => r.HolmTTestP!.Value));
        Assert.Equal(Holm.Adjust(results.Select(r => r.Paired.Wilcoxon!.P).ToList()), results.Select(r => r.HolmWilcoxonP!.Value));
        Assert.All(results, r => Assert.True(r.HolmTTestP >= r.Paired.TTestP));
    }

    [Fact]
    public void A_seed_twice_in_one_cell_is_refused() =>
        Assert.Throws<ArgumentException>(() => SweepComparisons.Default(
            [new("true", 0, "c", 1, 0.9), new("true", 0, "c", 1, 0.8)], PairedOptions.Default));

    [Fact]
    public void Levels_pair_only_where_the_settings_both_have_agree()
    {
        static ArmSettings Settings(params (string, string)[] values) => new(values.Select(v => KeyValuePair.Create(v.Item1, v.Item2)));
        static IEnumerable<Observation> With(ArmSettings settings, IEnumerable<Observation> observations) =>
            observations.Select(o => o with { Settings = settings });
        var observations = With(Settings(("head", "continue")), Arm("random-frozen", 0, "c", 0.80, 0.82, 0.81))
            .Concat(With(Settings(("head", "reinit")), Arm("random-frozen", 0, "c", 0.79, 0.81, 0.80)))
            .Concat(With(Settings(("head", "continue"), ("pretrain_epochs", "2")), Arm("true", 0, "c", 0.90, 0.91, 0.92)))
            .Concat(With(Settings(("head", "continue"), ("pretrain_epochs", "1")), Arm("true", 0, "c", 0.88, 0.89, 0.90)))
            .Concat(With(Settings(("head", "continue"), ("noise_model", "uniform"), ("pretrain_epochs", "2")), Arm("noisy", 0.5, "c", 0.85, 0.86, 0.84)))
            // Head-only has none of these settings, so it meets both controls.
            .Concat(Arm("head-only", 0, "c", 0.70, 0.72, 0.71))
            .ToList();
        var results = SweepComparisons.Default(observations, PairedOptions.Default);
        Assert.Equal(
            [
                "head-only vs random-frozen head=continue",
                "head-only vs random-frozen head=reinit",
                "noisy@0.5 head=continue noise_model=uniform pretrain_epochs=2 vs random-frozen head=continue",
                "noisy@0.5 head=continue noise_model=uniform pretrain_epochs=2 vs true head=continue pretrain_epochs=2",
                "true head=continue pretrain_epochs=1 vs random-frozen head=continue",
                "true head=continue pretrain_epochs=2 vs random-frozen head=continue",
            ],
            results.Select(r => $"{r.A} vs {r.B}"));
    }

    [Fact]
    public void Arm_settings_are_equal_by_value_whatever_the_order_given()
    {
        var a = new ArmSettings([KeyValuePair.Create("b", "1"), KeyValuePair.Create("a", "2")]);
        var b = new ArmSettings([KeyValuePair.Create("a", "2"), KeyValuePair.Create("b", "1")]);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal("a=2 b=1", a.ToString());
        Assert.NotEqual(a, ArmSettings.None);
        Assert.True(ArmSettings.None.AgreesWith(a));
        Assert.False(a.AgreesWith(new ArmSettings([KeyValuePair.Create("a", "3")])));
    }
}
