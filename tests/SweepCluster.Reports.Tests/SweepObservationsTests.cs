using SweepCluster.Analysis;
using SweepCluster.Storage;

namespace SweepCluster.Reports.Tests;

public sealed class SweepObservationsTests(StoredSweepFixture fixture) : IClassFixture<StoredSweepFixture>
{
    static readonly BootstrapOptions Bootstrap = new() { Resamples = 2_000, Seed = 5 };

    Task<SweepObservations> Load(params string[] where) =>
        SweepObservations.LoadAsync(fixture.Store, StoredSweepFixture.SweepId, where.Select(ResultFilter.Parse).ToList(), CancellationToken.None);

    [Fact]
    public async Task Cells_are_the_stored_cell_keys_labelled_as_the_sweep_labels_them_with_the_analysis_statistics()
    {
        var sweep = await Load();
        Assert.Equal(60, sweep.ListedTrials);
        Assert.Equal(58, sweep.StoredTrials);
        Assert.Equal(58, sweep.Trials.Count);

        var cells = sweep.Statistics(ResultFields.TestAccuracy, [], Bootstrap);
        Assert.Equal(["true", "noisy p=0.5 shuffle", "noisy p=1 shuffle", "random-frozen", "head-only"], cells.Select(c => c.Group.Label));
        var rows = fixture.Rows();
        foreach (var cell in cells)
        {
            var key = (string)cell.Group.Key.Single(k => k.Key == "cell_key").Value!;
            var values = rows.Where(r => r.CellKey == key).Select(r => r.TestAccuracy).ToList();
            Assert.Equal(CellStatistics.Of(values, Bootstrap), cell.Statistics);
        }
        Assert.Equal([12, 12, 10, 12, 12], cells.Select(c => c.Statistics.N));
    }

    [Fact]
    public async Task Head_only_has_no_accuracy_before_fine_tuning_so_its_cell_counts_none()
    {
        var cells = (await Load()).Statistics(ResultFields.Metric("pre_finetune_test_accuracy"), [], Bootstrap);
        Assert.Equal(0, cells.Single(c => c.Group.Label == "head-only").Statistics.N);
        Assert.Equal(12, cells.Single(c => c.Group.Label == "true").Statistics.N);
    }

    [Fact]
    public async Task Filters_keep_the_matching_trials_and_groups_pool_over_the_fields_left_out()
    {
        var noisy = await Load("arm=noisy");
        Assert.Equal(22, noisy.Trials.Count);
        var byNoise = noisy.Groups([ResultFields.Find("noise")]);
        Assert.Equal(["noise=0.5", "noise=1"], byNoise.Select(g => g.Label));
        Assert.Equal([12, 10], byNoise.Select(g => g.Trials.Count));

        Assert.Equal(12, (await Load("arm=noisy", "noise=0.5")).Trials.Count);

        var byArm = (await Load()).Statistics(ResultFields.TestAccuracy, [ResultFields.Find("arm")], Bootstrap);
        Assert.Equal(["arm=head-only", "arm=noisy", "arm=random-frozen", "arm=true"], byArm.Select(g => g.Group.Label));
        var pooled = fixture.Rows().Where(r => r.Arm == "noisy").OrderBy(r => r.Noise).ThenBy(r => r.Seed).Select(r => r.TestAccuracy).ToList();
        var noisyGroup = byArm.Single(g => g.Group.Label == "arm=noisy").Statistics;
        Assert.Equal(22, noisyGroup.N);
        Assert.Equal(CellStatistics.Of(pooled, null) with { BootstrapInterval = noisyGroup.BootstrapInterval }, noisyGroup);
    }

    [Fact]
    public async Task The_default_comparisons_pair_cells_on_their_shared_seeds_as_the_analysis_does()
    {
        var options = new PairedOptions { Bootstrap = Bootstrap, EquivalenceMargin = 0.005 };
        var comparisons = (await Load()).Comparisons(ResultFields.TestAccuracy, options);
        Assert.Equal(
        [
            "head-only - random-frozen", "noisy p=0.5 shuffle - random-frozen", "noisy p=0.5 shuffle - true",
            "noisy p=1 shuffle - random-frozen", "noisy p=1 shuffle - true", "true - random-frozen",
        ], comparisons.Select(c => $"{c.A} - {c.B}"));

        Dictionary<int, double> Seeds(string arm, double noise) =>
            fixture.Rows().Where(r => r.Arm == arm && r.Noise == noise).ToDictionary(r => r.Seed, r => r.TestAccuracy);
        var arbitrary = comparisons.Single(c => c.A == "noisy p=1 shuffle" && c.B == "random-frozen").Result.Paired;
        Assert.Equal(PairedComparison.Of(Seeds("noisy", 1), Seeds("random-frozen", 0), options), arbitrary);
        Assert.Equal(10, arbitrary.SharedSeeds);
        Assert.True(arbitrary.MeanDifference < 0);
        Assert.Equal(Holm.Adjust(comparisons.Select(c => c.Result.Paired.TTestP!.Value).ToList()), comparisons.Select(c => c.Result.HolmTTestP!.Value));
    }

    [Fact]
    public async Task Learning_curves_hold_each_cells_fine_tuning_epochs()
    {
        var sweep = await Load();
        var curves = sweep.LearningCurves(SweepObservations.FinetunePhase, e => e.ValidationAccuracy);
        Assert.Equal(5, curves.Count);
        var control = curves.Single(c => c.Cell.Label == "random-frozen");
        Assert.Equal([1, 2], control.Points.Select(p => p.Epoch));
        var expected = control.Cell.Trials.Select(t => t.Row.Epochs.Single(e => e.Phase == "finetune" && e.Epoch == 2).ValidationAccuracy!.Value).ToList();
        Assert.Equal(CellStatistics.Of(expected, bootstrap: null), control.Points[1].Statistics);
    }

    [Fact]
    public async Task An_unknown_sweep_is_refused() =>
        Assert.Contains("no sweep 'nope'", (await Assert.ThrowsAsync<SweepNotFoundException>(() =>
            SweepObservations.LoadAsync(fixture.Store, "nope", [], CancellationToken.None))).Message);
}
