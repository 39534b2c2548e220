using Akka.Actor;
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
/// them to workers that ask for work (work pulling), tracks which worker holds which trial, puts
/// a trial back in the queue when its worker's node leaves, its lease expires or it fails
/// transiently, and records each result exactly once in its journal. Handles
/// <see cref="SubmitSweep"/>, <see cref="CancelSweep"/>, <see cref="ListSweeps"/>,
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

    /// <summary>A trial handed to a worker: who has it and until when.</summary>
    sealed record Lease(IActorRef Worker, string WorkerId, PlannedTrial Trial, DateTimeOffset Deadline, TrialProgressReport? Progress);

    readonly CoordinatorSettings _settings;
    readonly CoordinatorState _state;
    readonly ILoggingAdapter _log = Context.GetLogger();
    readonly Dictionary<string, Lease> _leases = new();
    readonly Dictionary<IActorRef, string> _workers = new();
    readonly LinkedList<IActorRef> _idle = new();
    /// <summary>Results being written to the journal: a resent copy must not be written twice.</summary>
    readonly HashSet<string> _recording = new();
    /// <summary>Cells ("sweep/cell") whose added seeds are being written to the journal: not to be grown twice meanwhile.</summary>
    readonly HashSet<string> _growing = new();

    public SweepCoordinator(CoordinatorSettings settings)
    {
        _settings = settings;
        _state = new CoordinatorState(SweepPlanner.Replan, settings.MaxAttempts);

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
        Command<ListSweeps>(_ => Sender.Tell(new SweepList(_state.Sweeps.Select(s => _state.Summarise(s, IsRunning)).ToList())));
        Command<GetSweepStatus>(q => Sender.Tell(Status(q.SweepId)));
        Command<RequestWork>(HandleRequestWork);
        Command<TrialProgressReport>(HandleProgress);
        Command<TrialSucceeded>(HandleSucceeded);
        Command<TrialAttemptFailed>(HandleFailed);
        Command<TrialHandedBack>(h => Release(h.TrialId, requeue: true));
        Command<Terminated>(t => HandleWorkerGone(t.ActorRef));
        Command<CheckLeases>(_ => ExpireLeases());
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "Snapshot failed; recovery will replay more events"));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "Deleting old snapshots failed"));
    }

    public override string PersistenceId => Name;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CoordinatorSettings settings) => Akka.Actor.Props.Create(() => new SweepCoordinator(settings));

    /// <summary>Leased to a worker, or finished and being journalled: either way not to be handed out.</summary>
    bool IsRunning(string trialId) => _leases.ContainsKey(trialId) || _recording.Contains(trialId);

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
        var sweepId = plan.SweepId();
        var existing = _state.Sweep(sweepId);
        if (existing is not null && !submit.Force && existing.Remaining == 0 &&
            existing.Trials.All(t => _state.Trial(t.TrialId)!.Status == TrialStatus.Completed))
        {
            Sender.Tell(new SweepAccepted(sweepId, existing.Trials.Count, existing.Trials.Count));
            return;
        }
        var alreadyCompleted = submit.Force ? 0 : plan.Trials.Count(t => _state.Trial(t.TrialId)?.Status == TrialStatus.Completed);
        var queued = _state.Sweeps.Where(s => s.State == SweepState.Running).Sum(s => (long)s.Remaining);
        if (queued + plan.Trials.Count - alreadyCompleted > _settings.MaxQueuedTrials)
        {
            Sender.Tell(new SweepRejected(
                $"{queued:N0} trials are waiting and this sweep adds {plan.Trials.Count - alreadyCompleted:N0}, over the coordinator's limit of {_settings.MaxQueuedTrials:N0} (SWEEP_MAX_QUEUED_TRIALS); submit it when running sweeps have finished"));
            return;
        }
        var sender = Sender;
        Persist(new SweepSubmitted(sweepId, plan.Name, submit.SpecYaml, submit.SourceName, submit.Force, plan.Trials.Count, DateTimeOffset.UtcNow,
            _settings.Specs.BaseDirectory), e =>
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
            // Stop running trials that no other running sweep still needs.
            foreach (var lease in _leases.Values.ToList())
            {
                var needed = _state.Trial(lease.Trial.TrialId)!.Sweeps.Any(id => _state.Sweep(id)!.State == SweepState.Running);
                if (needed) continue;
                lease.Worker.Tell(new CancelTrial(lease.Trial.TrialId));
                _leases.Remove(lease.Trial.TrialId);
            }
            sender.Tell(Status(cancel.SweepId));
            MaybeSnapshot();
        });
    }

    void HandleRequestWork(RequestWork request)
    {
        if (_workers.TryAdd(Sender, request.WorkerId)) Context.Watch(Sender);
        // A worker asking for work holds nothing: anything leased to it was lost with its previous life.
        foreach (var lost in _leases.Values.Where(l => l.Worker.Equals(Sender)).ToList()) Release(lost.Trial.TrialId, requeue: true);
        if (!TryDispatch(Sender) && !_idle.Contains(Sender)) _idle.AddLast(Sender);
    }

    bool TryDispatch(IActorRef worker)
    {
        var next = _state.TakeNext(IsRunning);
        if (next is null) return false;
        var attempt = _state.Trial(next.TrialId)!.FailedAttempts + 1;
        _leases[next.TrialId] = new Lease(worker, _workers[worker], next, DateTimeOffset.UtcNow + _settings.Lease, null);
        worker.Tell(new AssignTrial(next, attempt, _settings.Lease));
        return true;
    }

    void DispatchToIdle()
    {
        while (_idle.First is { } node)
        {
            if (!TryDispatch(node.Value)) return;
            _idle.RemoveFirst();
        }
    }

    void HandleProgress(TrialProgressReport report)
    {
        var trial = _state.Trial(report.TrialId);
        if (trial is null || trial.Status != TrialStatus.Pending) return;
        if (_leases.TryGetValue(report.TrialId, out var lease) && !lease.Worker.Equals(Sender)) return;
        if (lease is null)
        {
            // A worker still running a trial handed out before this coordinator restarted: adopt it
            // rather than run it a second time.
            if (_workers.TryAdd(Sender, report.WorkerId)) Context.Watch(Sender);
            _idle.Remove(Sender);
            lease = new Lease(Sender, report.WorkerId, trial.Planned, default, null);
        }
        _leases[report.TrialId] = lease with { Deadline = DateTimeOffset.UtcNow + _settings.Lease, Progress = report };
    }

    void HandleSucceeded(TrialSucceeded success)
    {
        var trialId = success.Result.ConfigHash;
        var trial = _state.Trial(trialId);
        var sender = Sender;
        if (trial is null || trial.Status == TrialStatus.Completed)
        {
            sender.Tell(new ResultAccepted(trialId));
            return;
        }
        if (trial.Status == TrialStatus.Failed || !_recording.Add(trialId)) return;
        // The worker is free now and asks for its next trial without waiting for this write.
        _leases.Remove(trialId);
        // PersistAsync lets the journal batch many results into one write; the state changes only
        // once the event is stored, and _recording keeps resent copies, and dispatch, out meanwhile.
        PersistAsync(new TrialCompleted(success.Result, trial.Planned.CellKey, success.WorkerId, DateTimeOffset.UtcNow), e =>
        {
            _recording.Remove(trialId);
            _state.Apply(e);
            sender.Tell(new ResultAccepted(trialId));
            MaybeSnapshot();
            foreach (var sweepId in trial.Sweeps) GrowCells(_state.Sweep(sweepId)!, trial.Planned.CellKey);
        });
    }

    void HandleFailed(TrialAttemptFailed failure)
    {
        var trial = _state.Trial(failure.TrialId);
        if (trial is null || trial.Status != TrialStatus.Pending) return;
        _leases.Remove(failure.TrialId);
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

    void HandleWorkerGone(IActorRef worker)
    {
        _workers.Remove(worker);
        _idle.Remove(worker);
        foreach (var lease in _leases.Values.Where(l => l.Worker.Equals(worker)).ToList())
        {
            _log.Info("Worker {0} left; trial {1} goes back to the queue", lease.WorkerId, lease.Trial.TrialId[..12]);
            Release(lease.Trial.TrialId, requeue: true);
        }
    }

    void ExpireLeases()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var lease in _leases.Values.Where(l => l.Deadline < now).ToList())
        {
            _log.Warning("Lease of trial {0} on {1} expired; back to the queue", lease.Trial.TrialId[..12], lease.WorkerId);
            lease.Worker.Tell(new CancelTrial(lease.Trial.TrialId));
            Release(lease.Trial.TrialId, requeue: true);
        }
    }

    void Release(string trialId, bool requeue)
    {
        if (!_leases.Remove(trialId)) return;
        if (requeue) _state.Requeue(trialId);
        DispatchToIdle();
    }

    void MaybeSnapshot()
    {
        if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(_state.ToSnapshot());
    }

    SweepStatusReply Status(string sweepId)
    {
        var sweep = _state.Sweep(sweepId);
        if (sweep is null) return new SweepStatusReply(null, [], [], null, []);
        var summary = _state.Summarise(sweep, IsRunning);
        var trialIds = sweep.Trials.Select(t => t.TrialId).ToHashSet();
        var workers = _workers.Select(w =>
        {
            var lease = _leases.Values.FirstOrDefault(l => l.Worker.Equals(w.Key));
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
