using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Training.Trials;
using static SweepCluster.Cluster.Tests.CoordinatorStateTests;

namespace SweepCluster.Cluster.Tests;

/// <summary>
/// The coordinator's dispatch rules without actors: workers are names, time is passed in, and
/// every test reads what <see cref="DispatchState{TWorker}"/> decided to send.
/// </summary>
public class DispatchStateTests
{
    internal static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);
    internal static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

    readonly CoordinatorState _state = NewState();
    readonly DispatchState<string> _dispatch;

    public DispatchStateTests() => _dispatch = new DispatchState<string>(_state, Lease);

    SweepSubmitted Submit(string spec)
    {
        var submitted = Submitted(spec);
        _state.Apply(submitted);
        return submitted;
    }

    /// <summary>The worker asks for work; the trial it was assigned, if any.</summary>
    PlannedTrial? Ask(string worker, DateTimeOffset? at = null)
    {
        _dispatch.RequestWork(worker, worker, at ?? T0);
        var assigned = _dispatch.TakeOutbox().Where(s => s.To == worker).Select(s => s.Message).OfType<AssignTrials>().SingleOrDefault();
        return assigned?.Trials.Single().Trial;
    }

    static TrialProgressReport Progress(string worker, PlannedTrial trial) => new(worker, trial.TrialId, "pretrain", 1, 2, 3, 10, 500);

    static string Describe(Send<string> send) => send.Message switch
    {
        AssignTrials a => $"{send.To}: assign seed {string.Join(", ", a.Trials.Select(t => t.Trial.Config.Seed))}",
        CancelTrial c => $"{send.To}: cancel {c.TrialId[..6]}",
        var m => $"{send.To}: {m}",
    };

    IReadOnlyList<string> Sent() => _dispatch.TakeOutbox().Select(Describe).ToList();

    [Fact]
    public void An_expired_lease_cancels_the_trial_and_puts_it_back_while_progress_keeps_a_lease_alive()
    {
        Submit("a:true:2");
        var first = Ask("w1")!;
        var second = Ask("w2")!;
        _dispatch.ProgressReported("w1", Progress("w1", first), T0 + TimeSpan.FromSeconds(50));

        Assert.Empty(_dispatch.ExpireLeases(T0 + Lease - TimeSpan.FromSeconds(1)));
        var expired = _dispatch.ExpireLeases(T0 + Lease + TimeSpan.FromSeconds(1));

        Assert.Equal([second.TrialId], expired.Select(l => l.Trial.TrialId));
        Assert.Equal([$"w2: cancel {second.TrialId[..6]}"], Sent());
        Assert.True(_dispatch.IsRunning(first.TrialId));
        Assert.False(_dispatch.IsRunning(second.TrialId));
        // Back at the head of the queue, and an expiry is no failed attempt.
        _dispatch.RequestWork("w3", "w3", T0 + Lease + TimeSpan.FromSeconds(2));
        var again = Assert.IsType<AssignTrials>(_dispatch.TakeOutbox().Single().Message).Trials.Single();
        Assert.Equal((second, 1), (again.Trial, again.Attempt));
    }

    [Fact]
    public void A_worker_gone_puts_its_trials_back_and_a_waiting_worker_takes_them()
    {
        Submit("a:true:2");
        var first = Ask("w1")!;
        Ask("w2");
        Assert.Null(Ask("w3"));
        Assert.Equal(["w3"], _dispatch.Idle);

        var requeued = _dispatch.WorkerGone("w1", T0);

        Assert.Equal([first.TrialId], requeued.Select(l => l.Trial.TrialId));
        // A dead worker is told nothing; the waiting one gets the trial.
        Assert.Equal([$"w3: assign seed {first.Config.Seed}"], Sent());
        Assert.DoesNotContain("w1", _dispatch.Workers.Keys);
    }

    [Fact]
    public void Unreachable_workers_are_told_to_stop_and_their_trials_go_to_a_reachable_worker_only()
    {
        Submit("a:true:1");
        var trial = Ask("node-a/0")!;
        Assert.Null(Ask("node-a/1"));

        _dispatch.WorkersUnreachable(["node-a/0", "node-a/1"], T0);

        // Not handed to the other worker of the same unreachable node.
        Assert.Equal([$"node-a/0: cancel {trial.TrialId[..6]}"], Sent());
        Assert.Empty(_dispatch.Idle);
        Assert.Equal(trial, Ask("node-b/0"));
    }

    [Fact]
    public void A_late_result_from_an_unreachable_worker_is_recorded_once_and_stops_the_rerun()
    {
        Submit("a:true:1");
        var trial = Ask("node-a/0")!;
        _dispatch.WorkersUnreachable(["node-a/0"], T0);
        _dispatch.TakeOutbox();
        Assert.Equal(trial, Ask("node-b/0"));

        // The node comes back: its progress on a trial now run elsewhere is answered with a cancel.
        _dispatch.ProgressReported("node-a/0", Progress("node-a/0", trial), T0 + TimeSpan.FromSeconds(5));
        Assert.Equal([$"node-a/0: cancel {trial.TrialId[..6]}"], Sent());

        // Its result arrives anyway: recorded, and the rerun on node b is stopped.
        Assert.Equal(ResultDecision.Record, _dispatch.ResultArrived("node-a/0", trial.TrialId));
        Assert.Equal([$"node-b/0: cancel {trial.TrialId[..6]}"], Sent());
        // Copies while it is being written (resent, or node b's own) are not written again.
        Assert.Equal(ResultDecision.Ignore, _dispatch.ResultArrived("node-a/0", trial.TrialId));
        Assert.Equal(ResultDecision.Ignore, _dispatch.ResultArrived("node-b/0", trial.TrialId));
        Assert.True(_dispatch.IsRunning(trial.TrialId));

        _state.Apply(Completed(trial));
        _dispatch.ResultRecorded(trial.TrialId);
        Assert.Equal(ResultDecision.Acknowledge, _dispatch.ResultArrived("node-a/0", trial.TrialId));
        Assert.Equal(ResultDecision.Acknowledge, _dispatch.ResultArrived("node-b/0", trial.TrialId));
        Assert.Empty(_dispatch.Leases);
    }

    [Fact]
    public void A_result_of_a_trial_marked_failed_is_acknowledged_so_its_worker_stops_resending_it()
    {
        Submit("a:true:1");
        var trial = Ask("w1")!;
        // Its worker was given up on, and the retries ran out elsewhere.
        _state.Apply(new TrialFailedAttempt(trial.TrialId, "w2", "bad data", Deterministic: true, T0));
        Assert.Equal(ResultDecision.Acknowledge, _dispatch.ResultArrived("w1", trial.TrialId));
    }

    [Fact]
    public void A_resent_result_is_recorded_once_and_acknowledged_after()
    {
        Submit("a:true:2");
        var trial = Ask("w1")!;
        Assert.Equal(ResultDecision.Record, _dispatch.ResultArrived("w1", trial.TrialId));
        Assert.Equal(ResultDecision.Ignore, _dispatch.ResultArrived("w1", trial.TrialId));
        // While its result is written, the trial is handed to nobody, even were it queued again.
        _state.Requeue(trial.TrialId);
        Assert.NotEqual(trial, Ask("w2"));
        Assert.Null(Ask("w3"));

        _state.Apply(Completed(trial));
        _dispatch.ResultRecorded(trial.TrialId);
        Assert.Equal(ResultDecision.Acknowledge, _dispatch.ResultArrived("w1", trial.TrialId));
        Assert.Empty(Sent());
    }

    [Fact]
    public void Workers_share_concurrent_sweeps_in_turn()
    {
        Submit("a:true:3");
        Submit("b:head-only:3");
        var arms = new[] { "w1", "w2", "w3", "w4" }.Select(w => Ask(w)!.Config.Arm).ToList();
        Assert.Equal([Arm.True, Arm.HeadOnly, Arm.True, Arm.HeadOnly], arms);
    }

    [Fact]
    public void Waiting_workers_get_work_when_it_arrives_first_asked_first_served()
    {
        Assert.Null(Ask("w1"));
        Assert.Null(Ask("w2"));
        Assert.Null(Ask("w1")); // asking again while waiting keeps its place, once
        Assert.Equal(["w1", "w2"], _dispatch.Idle);

        Submit("a:true:3");
        _dispatch.DispatchToIdle(T0);

        Assert.Equal(["w1: assign seed 1", "w2: assign seed 2"], Sent());
        Assert.Empty(_dispatch.Idle);
        Assert.Equal(2, _dispatch.Leases.Count);
    }

    [Fact]
    public void A_handed_back_trial_goes_first_but_only_its_holder_can_hand_it_back()
    {
        Submit("a:true:3");
        var trial = Ask("w1")!;
        _dispatch.HandedBack("w2", trial.TrialId, T0);
        Assert.True(_dispatch.IsRunning(trial.TrialId));

        _dispatch.HandedBack("w1", trial.TrialId, T0);
        Assert.Equal(trial, Ask("w2"));
    }

    [Fact]
    public void A_trial_still_running_after_a_coordinator_restart_is_adopted_not_run_twice()
    {
        Submit("a:true:2");
        var (first, second) = (_state.Sweeps.Single().Trials[0], _state.Sweeps.Single().Trials[1]);

        _dispatch.ProgressReported("w1", Progress("w1", first), T0);

        Assert.Equal(["w1"], _dispatch.Workers.Keys);
        Assert.Equal(second, Ask("w2"));
        Assert.Null(Ask("w3"));
    }

    [Fact]
    public void A_failure_report_counts_only_from_the_worker_holding_the_trial()
    {
        Submit("a:true:1");
        var trial = Ask("w1")!;
        _dispatch.WorkersUnreachable(["w1"], T0);
        Assert.Equal(trial, Ask("w2"));

        Assert.False(_dispatch.AttemptFailed("w1", trial.TrialId));
        Assert.True(_dispatch.IsRunning(trial.TrialId));
        Assert.True(_dispatch.AttemptFailed("w2", trial.TrialId));
        Assert.False(_dispatch.IsRunning(trial.TrialId));
    }

    [Fact]
    public void Cancelling_a_sweep_stops_its_trials_but_not_those_another_running_sweep_needs()
    {
        var small = Submit("a:true:1");
        Submit("b:true:2"); // contains small's trial
        var shared = Ask("w1")!;
        var own = Ask("w2")!;
        var onlySmall = Submitted("c:noisy:1");
        _state.Apply(onlySmall);
        var cancelled = Ask("w3")!;
        Assert.Equal(Arm.Noisy, cancelled.Config.Arm);

        _state.Apply(new SweepCancelled(onlySmall.SweepId, T0));
        _state.Apply(new SweepCancelled(small.SweepId, T0));
        _dispatch.StopUnneededTrials();

        Assert.Equal([$"w3: cancel {cancelled.TrialId[..6]}"], Sent());
        Assert.True(_dispatch.IsRunning(shared.TrialId));
        Assert.True(_dispatch.IsRunning(own.TrialId));
    }
}
