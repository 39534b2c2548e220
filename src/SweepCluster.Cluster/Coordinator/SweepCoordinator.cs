using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Persistence;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Sweeps;

namespace SweepCluster.Cluster.Coordinator;

/// <summary>Coordinator settings; see <c>docs/cluster.md</c> for the environment variables that set them.</summary>
/// <param name="Lease">How long a worker may hold a trial without reporting progress before it goes back to the queue.</param>
/// <param name="MaxAttempts">Attempts of a trial that fails transiently before it is marked failed.</param>
/// <param name="SnapshotEvery">Events between snapshots.</param>
/// <param name="Specs">What a submitted spec may ask for: trials, size, data roots.</param>
/// <param name="MaxQueuedTrials">Trials waiting across every running sweep; a submission that would pass it is refused, so a flood of sweeps cannot exhaust the coordinator's memory.</param>
public sealed record CoordinatorSettings(TimeSpan Lease, SpecOptions Specs, int MaxAttempts = 3, int SnapshotEvery = 1000, int MaxQueuedTrials = 1_000_000);

/// <summary>
/// The cluster singleton that owns every sweep. It expands submitted specs into trials, hands
/// them to workers that ask for work (work pulling), and records each result exactly once in its
/// journal. What to do is decided by two plain classes it delegates to: <see cref="CoordinatorState"/>
/// (the journalled state) and <see cref="DispatchState{TWorker}"/> (leases, waiting workers and the
/// guard against resent results); this actor journals, sends what they decide, and tells them
/// the time, the workers that died (DeathWatch) and the nodes that became unreachable (cluster
/// events). Handles <see cref="SubmitSweep"/>, <see cref="CancelSweep"/>, <see cref="ListSweeps"/>,
/// <see cref="GetSweepStatus"/> from clients and <see cref="RequestWork"/>,
/// <see cref="TrialProgressReport"/>, <see cref="TrialSucceeded"/>, <see cref="TrialAttemptFailed"/>,
/// <see cref="TrialHandedBack"/> from workers.
/// </summary>
public sealed class SweepCoordinator : ReceivePersistentActor, IWithTimers
{
    public const string Name = "sweep-coordinator";

    sealed class CheckLeases
    {
        public static readonly CheckLeases Instance = new();
    }

    readonly CoordinatorSettings _settings;
    readonly CoordinatorState _state;
    readonly DispatchState<IActorRef> _dispatch;
    readonly ILoggingAdapter _log = Context.GetLogger();
    /// <summary>Cells ("sweep/cell") whose added seeds are being written to the journal: not to be grown twice meanwhile.</summary>
    readonly HashSet<string> _growing = new();

    public SweepCoordinator(CoordinatorSettings settings)
    {
        _settings = settings;
        _state = new CoordinatorState(SweepPlanner.Replan, settings.MaxAttempts);
        _dispatch = new DispatchState<IActorRef>(_state, settings.Lease);

        Recover<SnapshotOffer>(offer => _state.Restore((CoordinatorSnapshot)offer.Snapshot));
        Recover<ICoordinatorEvent>(_state.Apply);
        Recover<RecoveryCompleted>(_ =>
        {
            _log.Info("Recovered {0} sweeps, {1} trials", _state.Sweeps.Count, _state.TrialCount);
            Timers.StartPeriodicTimer("leases", CheckLeases.Instance, TimeSpan.FromSeconds(1));
            // A budget decision the previous incarnation did not live to journal is taken now.
            foreach (var sweep in _state.Sweeps) GrowCells(sweep, null);
        });

        Command<SubmitSweep>(HandleSubmit);
        Command<CancelSweep>(HandleCancel);
        Command<ListSweeps>(_ => Sender.Tell(new SweepList(_state.Sweeps.Select(s => _state.Summarise(s, _dispatch.IsRunning)).ToList())));
        Command<GetSweepStatus>(q => Sender.Tell(Status(q.SweepId)));
        Command<RequestWork>(r =>
        {
            WatchWorker();
            _dispatch.RequestWork(Sender, r.WorkerId, DateTimeOffset.UtcNow, r.Capacity);
            SendDecided();
        });
        Command<TrialProgressReport>(p =>
        {
            WatchWorker();
            _dispatch.ProgressReported(Sender, p, DateTimeOffset.UtcNow);
            SendDecided();
        });
        Command<TrialSucceeded>(HandleSucceeded);
        Command<TrialAttemptFailed>(HandleFailed);
        Command<TrialHandedBack>(h =>
        {
            _dispatch.HandedBack(Sender, h.TrialId, DateTimeOffset.UtcNow);
            SendDecided();
        });
        Command<Terminated>(t => HandleWorkersLost(_dispatch.WorkerGone(t.ActorRef, DateTimeOffset.UtcNow), "left"));
        Command<ClusterEvent.UnreachableMember>(u => HandleWorkersLost(_dispatch.WorkersUnreachable(
            _dispatch.Workers.Keys.Where(w => w.Path.Address.Equals(u.Member.Address)).ToList(), DateTimeOffset.UtcNow), "is unreachable"));
        Command<CheckLeases>(_ =>
        {
            foreach (var lease in _dispatch.ExpireLeases(DateTimeOffset.UtcNow))
                _log.Warning("Lease of trial {0} on {1} expired; back to the queue", lease.Trial.TrialId[..12], lease.WorkerId);
            SendDecided();
        });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "Snapshot failed; recovery will replay more events"));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "Deleting old snapshots failed"));
    }

    public override string PersistenceId => Name;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CoordinatorSettings settings) => Akka.Actor.Props.Create(() => new SweepCoordinator(settings));

    protected override void PreStart()
    {
        base.PreStart();
        // A trial leased to a worker on an unreachable node goes back to the queue at once, not
        // only when the split-brain resolver downs the node or the lease runs out.
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.UnreachableMember));
    }

    protected override void PostStop()
    {
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        base.PostStop();
    }

    /// <summary>DeathWatch on the worker that sent the message (a no-op when already watched): its death requeues its trials.</summary>
    void WatchWorker() => Context.Watch(Sender);

    /// <summary>Sends what the dispatch state decided.</summary>
    void SendDecided()
    {
        foreach (var send in _dispatch.TakeOutbox()) send.To.Tell(send.Message, Self);
    }

    void HandleSubmit(SubmitSweep submit)
    {
        SweepPlan plan;
        try
        {
            plan = SweepPlanner.Plan(submit.SpecYaml, submit.SourceName, _settings.Specs);
        }
        catch (Exception e)
        {
            Sender.Tell(new SweepRejected(e.Message));
            return;
        }
        if (_state.Admit(plan, submit.Force, _settings.MaxQueuedTrials) is { } answer)
        {
            Sender.Tell(answer);
            return;
        }
        var sweepId = plan.SweepId();
        var alreadyCompleted = _state.AlreadyCompleted(plan, submit.Force);
        var sender = Sender;
        Persist(new SweepSubmitted(sweepId, plan.Name, submit.SpecYaml, submit.SourceName, submit.Force, plan.Trials.Count, DateTimeOffset.UtcNow,
            _settings.Specs.BaseDirectory, _settings.Specs.AutoDataset), e =>
        {
            _state.Apply(e);
            _log.Info("Sweep {0}: {1} trials, {2} already completed", sweepId, plan.Trials.Count, alreadyCompleted);
            sender.Tell(new SweepAccepted(sweepId, plan.Trials.Count, alreadyCompleted));
            MaybeSnapshot();
            DispatchToIdle();
        });
    }

    void HandleCancel(CancelSweep cancel)
    {
        var sweep = _state.Sweep(cancel.SweepId);
        if (sweep is null || sweep.State != SweepState.Running)
        {
            Sender.Tell(Status(cancel.SweepId));
            return;
        }
        var sender = Sender;
        Persist(new SweepCancelled(cancel.SweepId, DateTimeOffset.UtcNow), e =>
        {
            _state.Apply(e);
            _dispatch.StopUnneededTrials();
            SendDecided();
            sender.Tell(Status(cancel.SweepId));
            MaybeSnapshot();
        });
    }

    void HandleSucceeded(TrialSucceeded success)
    {
        var trialId = success.Result.ConfigHash;
        var sender = Sender;
        var decision = _dispatch.ResultArrived(sender, trialId);
        SendDecided();
        if (decision == ResultDecision.Acknowledge) sender.Tell(new ResultAccepted(trialId));
        if (decision != ResultDecision.Record) return;
        var trial = _state.Trial(trialId)!;
        // PersistAsync lets the journal batch many results into one write; the state changes only
        // once the event is stored, and the dispatch state keeps resent copies, and dispatch, out meanwhile.
        PersistAsync(new TrialCompleted(success.Result, trial.Planned.CellKey, success.WorkerId, DateTimeOffset.UtcNow), e =>
        {
            _dispatch.ResultRecorded(trialId);
            _state.Apply(e);
            sender.Tell(new ResultAccepted(trialId));
            MaybeSnapshot();
            foreach (var sweepId in trial.Sweeps) GrowCells(_state.Sweep(sweepId)!, trial.Planned.CellKey);
        });
    }

    void HandleFailed(TrialAttemptFailed failure)
    {
        if (!_dispatch.AttemptFailed(Sender, failure.TrialId)) return;
        var trial = _state.Trial(failure.TrialId)!;
        _log.Warning("Trial {0} failed on {1} ({2}): {3}", failure.TrialId[..12], failure.WorkerId,
            failure.Deterministic ? "deterministic" : "transient", failure.Reason);
        PersistAsync(new TrialFailedAttempt(failure.TrialId, failure.WorkerId, failure.Reason, failure.Deterministic, DateTimeOffset.UtcNow), e =>
        {
            _state.Apply(e);
            MaybeSnapshot();
            foreach (var sweepId in trial.Sweeps) GrowCells(_state.Sweep(sweepId)!, trial.Planned.CellKey);
            DispatchToIdle();
        });
    }

    /// <summary>Journals the seeds an adaptive budget wants for a sweep's cells (one cell, or all), then hands them out.</summary>
    void GrowCells(SweepRecord sweep, string? cellKey)
    {
        foreach (var (cell, seeds) in _state.SeedsWanted(sweep, cellKey))
        {
            var growing = $"{sweep.Submitted.SweepId}/{cell}";
            if (!_growing.Add(growing)) continue;
            var trialIds = CoordinatorState.Reseed(sweep, cell, seeds).Select(t => t.TrialId).ToList();
            // PersistAsync, as for results: a stashing Persist called from another event's
            // PersistAsync handler, while more results are being written, never completed (the
            // coordinator stopped answering); the guard above keeps a cell from growing twice.
            PersistAsync(new SeedsAdded(sweep.Submitted.SweepId, cell, seeds, trialIds, DateTimeOffset.UtcNow), e =>
            {
                _growing.Remove(growing);
                _state.Apply(e);
                _log.Info("Sweep {0}: {1} more seeds for cell {2}", e.SweepId, e.Seeds.Count, e.CellKey[..12]);
                MaybeSnapshot();
                DispatchToIdle();
            });
        }
    }

    void HandleWorkersLost(IReadOnlyList<TrialLease<IActorRef>> requeued, string why)
    {
        foreach (var lease in requeued)
            _log.Info("Worker {0} {1}; trial {2} goes back to the queue", lease.WorkerId, why, lease.Trial.TrialId[..12]);
        SendDecided();
    }

    void DispatchToIdle()
    {
        _dispatch.DispatchToIdle(DateTimeOffset.UtcNow);
        SendDecided();
    }

    void MaybeSnapshot()
    {
        if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(_state.ToSnapshot());
    }

    SweepStatusReply Status(string sweepId)
    {
        var sweep = _state.Sweep(sweepId);
        if (sweep is null) return new SweepStatusReply(null, [], [], null, []);
        var summary = _state.Summarise(sweep, _dispatch.IsRunning);
        var trialIds = sweep.Trials.Select(t => t.TrialId).ToHashSet();
        var workers = _dispatch.Workers.Select(w =>
        {
            var lease = _dispatch.LeasesOf(w.Key).FirstOrDefault();
            var p = lease?.Progress;
            var fraction = p is null || p.Batches == 0 ? 0 : ((p.Epoch - 1) * p.Batches + p.Batch) / (double)(p.Epochs * p.Batches);
            return new WorkerProgress(w.Value, lease?.Trial.TrialId, lease?.Trial.CellLabel, lease?.Trial.Config.Seed,
                p?.Phase, p?.Epoch ?? 0, p?.Epochs ?? 0, fraction, p?.ImagesPerSecond ?? 0);
        }).OrderBy(w => w.WorkerId).ToList();
        var failures = sweep.Trials.Select(t => _state.Trial(t.TrialId)!)
            .Where(t => t.Status == TrialStatus.Failed)
            .Select(t => $"{t.Planned.CellLabel} seed {t.Planned.Config.Seed}: {t.FailureReason}").Take(20).ToList();
        double? remaining = null;
        var finished = summary.Completed + summary.Failed;
        if (sweep.State == SweepState.Running && finished > 0)
        {
            var elapsed = (DateTimeOffset.UtcNow - sweep.Submitted.At).TotalSeconds;
            remaining = elapsed / finished * (summary.Trials - finished);
        }
        return new SweepStatusReply(summary, _state.Cells(sweep), workers.Where(w => w.TrialId is null || trialIds.Contains(w.TrialId)).ToList(),
            remaining, failures);
    }
}
