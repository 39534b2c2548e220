using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cluster.Tests;

/// <summary>The coordinator's rules without actors: every test drives <see cref="CoordinatorState.Apply"/>.</summary>
public class CoordinatorStateTests
{
    internal static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    /// <summary>
    /// A spec "name:arm:seeds" expands to sleep trials of that arm with seeds 1..n; "name:arm:seeds:max"
    /// adds an adaptive budget (batch 2, a target no spread meets) growing to max seeds.
    /// </summary>
    internal static SweepPlan Plan(SweepSubmitted s)
    {
        var parts = s.SpecYaml.Split(':');
        var adaptive = parts.Length > 3
            ? new AdaptiveSeedPolicy(new Analysis.SeedPolicy { Min = int.Parse(parts[2]), Max = int.Parse(parts[3]), Batch = 2, TargetHalfWidth = 1e-9 }, "test_accuracy")
            : null;
        var arm = Enum.Parse<Arm>(parts[1].Replace("-", ""), ignoreCase: true);
        var trials = Enumerable.Range(1, int.Parse(parts[2])).Select(seed =>
        {
            var config = new TrialConfig { Kind = TrialKind.Sleep, Arm = arm, Seed = seed }.Normalise();
            return new PlannedTrial(config.Hash(), arm.ToString(), arm.ToString(), config);
        }).ToList();
        return new SweepPlan(parts[0], trials, adaptive);
    }

    internal static SweepSubmitted Submitted(string spec, bool force = false)
    {
        var plan = Plan(new SweepSubmitted("", "", spec, "test", force, 0, At));
        return new SweepSubmitted(plan.SweepId(), plan.Name, spec, "test", force, plan.Trials.Count, At);
    }

    internal static CoordinatorState NewState(int maxAttempts = 3) => new(Plan, maxAttempts);

    internal static TrialCompleted Completed(PlannedTrial t, double accuracy = 0.8) =>
        new(SleepTrial.Result(t.Config, t.TrialId, At) with { TestAccuracy = accuracy }, t.CellKey, "w", At);

    static List<PlannedTrial> Drain(CoordinatorState state)
    {
        var taken = new List<PlannedTrial>();
        while (state.TakeNext(_ => false) is { } t) taken.Add(t);
        return taken;
    }

    [Fact]
    public void A_sweep_completes_when_every_trial_has_a_result()
    {
        var state = NewState();
        var submitted = Submitted("a:true:3");
        state.Apply(submitted);
        var trials = Drain(state);
        Assert.Equal(3, trials.Count);
        foreach (var t in trials.Take(2)) state.Apply(Completed(t));
        Assert.Equal(SweepState.Running, state.Sweep(submitted.SweepId)!.State);
        state.Apply(Completed(trials[2]));
        var sweep = state.Sweep(submitted.SweepId)!;
        Assert.Equal(SweepState.Completed, sweep.State);
        Assert.Equal(3, state.Summarise(sweep, _ => false).Completed);
    }

    [Fact]
    public void A_result_recorded_by_one_sweep_is_reused_by_another()
    {
        var state = NewState();
        state.Apply(Submitted("a:true:3"));
        foreach (var t in Drain(state)) state.Apply(Completed(t));
        var bigger = Submitted("b:true:5");
        state.Apply(bigger);
        var toRun = Drain(state);
        Assert.Equal([4, 5], toRun.Select(t => t.Config.Seed));
        Assert.Equal(3, state.Summarise(state.Sweep(bigger.SweepId)!, _ => false).Completed);
    }

    [Fact]
    public void A_forced_resubmission_runs_completed_trials_again()
    {
        var state = NewState();
        state.Apply(Submitted("a:true:2"));
        foreach (var t in Drain(state)) state.Apply(Completed(t));
        state.Apply(Submitted("a:true:2", force: true));
        Assert.Equal(2, Drain(state).Count);
        Assert.Equal(SweepState.Running, state.Sweeps.Single().State);
    }

    [Fact]
    public void Transient_failures_are_retried_up_to_the_limit_and_deterministic_ones_are_not()
    {
        var state = NewState(maxAttempts: 2);
        var submitted = Submitted("a:noisy:2");
        state.Apply(submitted);
        var (first, second) = (state.TakeNext(_ => false)!, state.TakeNext(_ => false)!);

        state.Apply(new TrialFailedAttempt(first.TrialId, "w", "connection reset", Deterministic: false, At));
        Assert.Equal(first, state.TakeNext(_ => false)); // back in the queue, at its head
        state.Apply(new TrialFailedAttempt(first.TrialId, "w", "connection reset", Deterministic: false, At));
        Assert.Equal(TrialStatus.Failed, state.Trial(first.TrialId)!.Status);

        state.Apply(new TrialFailedAttempt(second.TrialId, "w", "NaN loss", Deterministic: true, At));
        Assert.Equal(TrialStatus.Failed, state.Trial(second.TrialId)!.Status);
        Assert.Equal("NaN loss", state.Trial(second.TrialId)!.FailureReason);
        Assert.Equal(SweepState.Completed, state.Sweep(submitted.SweepId)!.State);
        Assert.Null(state.TakeNext(_ => false));
    }

    [Fact]
    public void Concurrent_sweeps_take_turns()
    {
        var state = NewState();
        state.Apply(Submitted("a:true:3"));
        state.Apply(Submitted("b:head-only:3"));
        var arms = Drain(state).Select(t => t.Config.Arm).ToList();
        Assert.Equal([Arm.True, Arm.HeadOnly, Arm.True, Arm.HeadOnly, Arm.True, Arm.HeadOnly], arms);
    }

    [Fact]
    public void Running_trials_are_skipped_and_requeued_trials_come_first()
    {
        var state = NewState();
        state.Apply(Submitted("a:true:3"));
        var first = state.TakeNext(_ => false)!;
        state.Requeue(first.TrialId);
        Assert.Equal(first, state.TakeNext(_ => false));
        state.Requeue(first.TrialId);
        var next = state.TakeNext(id => id == first.TrialId);
        Assert.NotEqual(first, next);
    }

    [Fact]
    public void A_cancelled_sweep_hands_out_nothing_more()
    {
        var state = NewState();
        var submitted = Submitted("a:true:3");
        state.Apply(submitted);
        state.Apply(new SweepCancelled(submitted.SweepId, At));
        Assert.Null(state.TakeNext(_ => false));
        Assert.Equal(SweepState.Cancelled, state.Sweep(submitted.SweepId)!.State);
    }

    [Fact]
    public void An_adaptive_cell_grows_by_batches_to_max_and_a_snapshot_keeps_the_added_seeds()
    {
        var state = NewState();
        var submitted = Submitted("a:true:2:5");
        state.Apply(submitted);
        var sweep = state.Sweep(submitted.SweepId)!;
        var added = new List<SeedsAdded>();
        var accuracy = 0.80;
        while (true)
        {
            foreach (var t in Drain(state)) state.Apply(Completed(t, accuracy += 0.01));
            var wanted = state.SeedsWanted(sweep);
            if (wanted.Count == 0) break;
            var (cell, seeds) = wanted.Single();
            var e = new SeedsAdded(submitted.SweepId, cell, seeds, CoordinatorState.Reseed(sweep, cell, seeds).Select(t => t.TrialId).ToList(), At);
            added.Add(e);
            state.Apply(e);
        }
        Assert.Equal([[3, 4], [5]], added.Select(a => a.Seeds.ToArray()));
        Assert.Equal(SweepState.Completed, sweep.State);
        Assert.Equal(5, state.Summarise(sweep, _ => false).Completed);

        var restored = NewState();
        restored.Restore(state.ToSnapshot());
        var again = restored.Sweep(submitted.SweepId)!;
        Assert.Equal(sweep.Trials.Select(t => t.TrialId), again.Trials.Select(t => t.TrialId));
        Assert.Equal(5, restored.Summarise(again, _ => false).Completed);
        Assert.Empty(restored.SeedsWanted(again));
    }

    [Fact]
    public void A_snapshot_restores_the_same_state_as_replaying_the_events()
    {
        var events = new List<ICoordinatorEvent> { Submitted("a:true:4"), Submitted("b:random-frozen:2") };
        var live = NewState();
        foreach (var e in events) live.Apply(e);
        var taken = Drain(live);
        events.Add(Completed(taken[0], 0.7));
        events.Add(new TrialFailedAttempt(taken[1].TrialId, "w", "boom", true, At));
        live.Apply(events[^2]);
        live.Apply(events[^1]);

        var replayed = NewState();
        foreach (var e in events) replayed.Apply(e);
        var restored = NewState();
        restored.Restore(live.ToSnapshot());

        foreach (var state in new[] { replayed, restored })
        {
            Assert.Equal(live.Sweeps.Select(s => live.Summarise(s, _ => false)), state.Sweeps.Select(s => state.Summarise(s, _ => false)));
            Assert.Equal(0.7, state.Trial(taken[0].TrialId)!.TestAccuracy);
            Assert.Equal("boom", state.Trial(taken[1].TrialId)!.FailureReason);
            Assert.Equal(4, Drain(state).Count); // 6 trials, 1 completed, 1 failed
        }
    }

    [Fact]
    public void A_complete_sweep_submitted_again_is_answered_without_a_journal_entry_unless_forced()
    {
        var state = NewState();
        var submitted = Submitted("a:true:2");
        state.Apply(submitted);
        var plan = Plan(submitted);
        Assert.Null(state.Admit(plan, force: false, maxQueuedTrials: 100));
        foreach (var t in Drain(state)) state.Apply(Completed(t));

        Assert.Equal(new SweepAccepted(submitted.SweepId, 2, 2), state.Admit(plan, force: false, maxQueuedTrials: 100));
        Assert.Null(state.Admit(plan, force: true, maxQueuedTrials: 100));
        Assert.Equal((2, 0), (state.AlreadyCompleted(plan, force: false), state.AlreadyCompleted(plan, force: true)));
    }

    [Fact]
    public void A_submission_past_the_queue_limit_is_refused_counting_only_trials_still_to_run()
    {
        var state = NewState();
        state.Apply(Submitted("a:true:3"));
        state.Apply(Completed(state.TakeNext(_ => false)!));
        // 2 waiting; the bigger sweep reuses the 3 seeds of a (one completed) and adds 2 more.
        var bigger = Plan(Submitted("b:true:5"));
        Assert.Null(state.Admit(bigger, force: false, maxQueuedTrials: 6));
        var refused = Assert.IsType<SweepRejected>(state.Admit(bigger, force: false, maxQueuedTrials: 5));
        Assert.Equal("2 trials are waiting and this sweep adds 4, over the coordinator's limit of 5 (SWEEP_MAX_QUEUED_TRIALS); submit it when running sweeps have finished",
            refused.Reason);
    }
}
