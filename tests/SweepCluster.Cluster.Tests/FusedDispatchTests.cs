using Akka.Actor;
using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Storage;
using SweepCluster.Storage.Tests;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cluster.Tests;

/// <summary>Workers that fuse seeds: what the dispatch rules hand them, and a real sweep through such a slot.</summary>
public class FusedDispatchTests
{
    static readonly TimeSpan Lease = DispatchStateTests.Lease;
    static readonly DateTimeOffset T0 = DispatchStateTests.T0;

    /// <summary>
    /// "name:kind": two cells in expansion order, arm true with seeds 1..5 then random-frozen with
    /// seeds 1..3, of training or sleep trials.
    /// </summary>
    static SweepPlan TwoCells(SweepSubmitted s)
    {
        var parts = s.SpecYaml.Split(':');
        var kind = Enum.Parse<TrialKind>(parts[1], ignoreCase: true);
        var trials = new[] { (Arm.True, 5), (Arm.RandomFrozen, 3) }.SelectMany(cell => Enumerable.Range(1, cell.Item2).Select(seed =>
        {
            var config = new TrialConfig { Kind = kind, Arm = cell.Item1, Seed = seed }.Normalise();
            return new PlannedTrial(config.Hash(), cell.Item1.ToString(), cell.Item1.ToString(), config);
        })).ToList();
        return new SweepPlan(parts[0], trials);
    }

    readonly CoordinatorState _state = new(TwoCells, maxAttempts: 3);
    readonly DispatchState<string> _dispatch;

    public FusedDispatchTests() => _dispatch = new DispatchState<string>(_state, Lease);

    void Submit(string spec)
    {
        var plan = TwoCells(new SweepSubmitted("", "", spec, "test", false, 0, T0));
        _state.Apply(new SweepSubmitted(plan.SweepId(), plan.Name, spec, "test", false, plan.Trials.Count, T0));
    }

    /// <summary>What the worker was handed when it asked for up to <paramref name="capacity"/> trials: arm and seed of each.</summary>
    IReadOnlyList<PlannedTrial> Ask(string worker, int capacity, DateTimeOffset? at = null)
    {
        _dispatch.RequestWork(worker, worker, at ?? T0, capacity);
        var assigned = _dispatch.TakeOutbox().Where(s => s.To == worker).Select(s => s.Message).OfType<AssignTrials>().SingleOrDefault();
        return assigned?.Trials.Select(t => t.Trial).ToList() ?? [];
    }

    static IEnumerable<string> Seeds(IEnumerable<PlannedTrial> trials) => trials.Select(t => $"{t.CellKey} {t.Config.Seed}");

    [Fact]
    public void A_fusing_worker_gets_seeds_of_one_cell_never_two_cells_at_once()
    {
        Submit("a:train");
        Assert.Equal(["True 1", "True 2", "True 3", "True 4"], Seeds(Ask("gpu", 4)));
        Assert.Equal(["True 5"], Seeds(Ask("gpu2", 4)));
        Assert.Equal(["RandomFrozen 1"], Seeds(Ask("cpu", 1)));
        Assert.Equal(["RandomFrozen 2", "RandomFrozen 3"], Seeds(Ask("gpu3", 4)));
        // Each trial has its own lease.
        Assert.Equal(8, _dispatch.Leases.Count);
        Assert.Equal(4, _dispatch.LeasesOf("gpu").Count);
    }

    [Fact]
    public void Sleep_trials_train_no_model_so_they_are_never_fused()
    {
        Submit("s:sleep");
        Assert.Equal(["True 1"], Seeds(Ask("gpu", 4)));
    }

    [Fact]
    public void A_fused_groups_trials_keep_their_leases_one_by_one_and_go_back_together_when_the_worker_dies()
    {
        Submit("a:train");
        var group = Ask("gpu", 3);
        foreach (var trial in group.Take(2))
            _dispatch.ProgressReported("gpu", new TrialProgressReport("gpu", trial.TrialId, "pretrain", 1, 1, 5, 10, 100), T0 + TimeSpan.FromSeconds(50));

        // The one never reported on expires alone.
        Assert.Equal([group[2].TrialId], _dispatch.ExpireLeases(T0 + Lease + TimeSpan.FromSeconds(1)).Select(l => l.Trial.TrialId));
        _dispatch.TakeOutbox();

        // The worker dies: its other trials go back, and the next fusing worker takes the cell's
        // seeds again as one group (the expired one first: it went back to the head of the queue).
        _dispatch.WorkerGone("gpu", T0 + Lease + TimeSpan.FromSeconds(2));
        Assert.Equal(["True 1", "True 2", "True 3", "True 4"], Seeds(Ask("gpu2", 4, T0 + Lease + TimeSpan.FromSeconds(3))).Order());
    }

    [Fact]
    public async Task A_sweep_through_a_fusing_slot_trains_each_cell_as_one_model_and_records_every_trial_once()
    {
        // Real training: two cells of three seeds on a slot that fuses three.
        const string Spec = "name: fused\ndataset: {name: fashion-mnist-subset, train_limit: 300}\narms: [true, random-frozen]\nseeds: 3\n";
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        var settings = RecoveryTests.Embedded(db.Settings) with { Devices = "cpu:1", FuseSeeds = 3 };
        await using var node = await SweepNode.StartAsync(settings, new DatasetCatalog(new DataSettings()), "WARNING");
        var accepted = await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(Spec, "fused.yaml", false), TimeSpan.FromSeconds(30));
        var status = await RecoveryTests.WaitUntilFinished(node.Coordinator, accepted.SweepId);
        Assert.Equal((6, 0), (status.Summary!.Completed, status.Summary.Failed));

        await RecoveryTests.WaitForProjection(db.Store, accepted.SweepId, 6);
        var rows = await db.Store.QueryAsync(new ResultQuery { SweepId = accepted.SweepId });
        Assert.Equal(6, rows.Select(r => r.TrialId).Distinct().Count());
        var results = rows.Select(r => r.ToTrialResult()).ToList();
        Assert.All(results, r => Assert.Equal(3, r.Environment.FusedSlots));
        // Three seeds of a cell, three different models: fused, yet each its own trial.
        Assert.All(results.GroupBy(r => r.Config.Arm), cell => Assert.Equal(3, cell.Select(r => r.TestAccuracy).Distinct().Count()));
    }
}
