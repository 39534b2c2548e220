using SweepCluster.Cluster.Protocol;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cluster.Coordinator;

/// <summary>A message for one worker, decided by <see cref="DispatchState{TWorker}"/> and sent by the coordinator.</summary>
public sealed record Send<TWorker>(TWorker To, ISweepMessage Message);

/// <summary>A trial handed to a worker: who has it, until when, and how far it got.</summary>
public sealed record TrialLease<TWorker>(TWorker Worker, string WorkerId, PlannedTrial Trial, DateTimeOffset Deadline, TrialProgressReport? Progress);

/// <summary>What the coordinator does with a result a worker sent.</summary>
public enum ResultDecision
{
    /// <summary>Journal it; acknowledge once it is stored.</summary>
    Record,
    /// <summary>
    /// Already recorded, of no known trial, or of a trial marked failed (its retries ran out
    /// while this run was lost to the coordinator): acknowledge at once, so the worker stops
    /// resending it; the failure stands until the sweep is submitted again.
    /// </summary>
    Acknowledge,
    /// <summary>Being journalled from an earlier copy: say nothing; a resent copy is answered once it is stored.</summary>
    Ignore,
}

/// <summary>
/// The coordinator's dispatch bookkeeping, apart from its journalled <see cref="CoordinatorState"/>:
/// which workers wait for work, which trial each holds under a lease and until when, and which
/// results are being journalled. It decides; the coordinator actor only sends what it decided
/// (<see cref="TakeOutbox"/>) and journals. Time is passed in, and workers are whatever identifies
/// them (actor references in the coordinator, names in the tests), so every rule is a plain
/// function of this state. None of it is journalled: after a restart every unfinished trial is
/// pending again, and a worker still running one is adopted when it reports progress.
/// A lease is per trial, so a worker holding several trials at once needs no other bookkeeping.
/// </summary>
public sealed class DispatchState<TWorker>(CoordinatorState state, TimeSpan leaseTime) where TWorker : notnull
{
    readonly Dictionary<string, TrialLease<TWorker>> _leases = new();
    readonly Dictionary<TWorker, string> _workers = new();
    /// <summary>How many trials of one cell each worker takes at once (above 1: it fuses seeds).</summary>
    readonly Dictionary<TWorker, int> _capacity = new();
    readonly LinkedList<TWorker> _idle = new();
    /// <summary>Results being written to the journal: a resent copy must not be written twice.</summary>
    readonly HashSet<string> _recording = new();
    readonly List<Send<TWorker>> _outbox = [];

    /// <summary>Every known worker and its id.</summary>
    public IReadOnlyDictionary<TWorker, string> Workers => _workers;

    /// <summary>Workers waiting for work, first asked first served.</summary>
    public IReadOnlyCollection<TWorker> Idle => _idle;

    public IReadOnlyCollection<TrialLease<TWorker>> Leases => _leases.Values;

    public IReadOnlyList<TrialLease<TWorker>> LeasesOf(TWorker worker) => _leases.Values.Where(l => l.Worker.Equals(worker)).ToList();

    /// <summary>Leased to a worker, or finished and being journalled: either way not to be handed out.</summary>
    public bool IsRunning(string trialId) => _leases.ContainsKey(trialId) || _recording.Contains(trialId);

    /// <summary>The messages decided since the last call, in order; the coordinator sends them.</summary>
    public IReadOnlyList<Send<TWorker>> TakeOutbox()
    {
        var sends = _outbox.ToList();
        _outbox.Clear();
        return sends;
    }

    /// <summary>
    /// A free worker asks for work: it gets a trial now (or, with <paramref name="capacity"/> above
    /// 1, up to that many of one cell), or waits in line.
    /// </summary>
    public void RequestWork(TWorker worker, string workerId, DateTimeOffset now, int capacity = 1)
    {
        _workers.TryAdd(worker, workerId);
        _capacity[worker] = Math.Max(1, capacity);
        // A worker asking for work holds nothing: anything leased to it was lost with its previous life.
        foreach (var lost in LeasesOf(worker)) Release(lost.Trial.TrialId, now);
        if (!TryAssign(worker, now) && !_idle.Contains(worker)) _idle.AddLast(worker);
    }

    /// <summary>Hands waiting workers trials, in the order they asked, while there are trials to hand out.</summary>
    public void DispatchToIdle(DateTimeOffset now)
    {
        while (_idle.First is { } first && TryAssign(first.Value, now))
        {
        }
    }

    bool TryAssign(TWorker worker, DateTimeOffset now)
    {
        var next = state.TakeNext(IsRunning);
        if (next is null) return false;
        var capacity = _capacity.GetValueOrDefault(worker, 1);
        // Only training trials fuse: a sleep trial has no model to share.
        IReadOnlyList<PlannedTrial> trials = capacity > 1 && next.Config.Kind == TrialKind.Train
            ? [next, .. state.TakeCellmates(next, capacity - 1, IsRunning)]
            : [next];
        foreach (var trial in trials)
            _leases[trial.TrialId] = new TrialLease<TWorker>(worker, _workers[worker], trial, now + leaseTime, null);
        _idle.Remove(worker);
        _outbox.Add(new Send<TWorker>(worker, new AssignTrials(
            trials.Select(t => new Assignment(t, state.Trial(t.TrialId)!.FailedAttempts + 1)).ToList(), leaseTime)));
        return true;
    }

    /// <summary>Progress renews the lease of the worker holding the trial.</summary>
    public void ProgressReported(TWorker worker, TrialProgressReport report, DateTimeOffset now)
    {
        var trial = state.Trial(report.TrialId);
        if (trial is null) return;
        var held = _leases.GetValueOrDefault(report.TrialId);
        if (trial.Status != TrialStatus.Pending || _recording.Contains(report.TrialId) || held is not null && !held.Worker.Equals(worker))
        {
            // Finished, or handed to another worker since this one was given up on (its node was
            // unreachable, its lease ran out): its run can only be wasted.
            _outbox.Add(new Send<TWorker>(worker, new CancelTrial(report.TrialId)));
            return;
        }
        if (held is null)
        {
            // A worker still running a trial handed out before this coordinator restarted: adopt it
            // rather than run it a second time.
            _workers.TryAdd(worker, report.WorkerId);
            _idle.Remove(worker);
            held = new TrialLease<TWorker>(worker, report.WorkerId, trial.Planned, now, null);
        }
        _leases[report.TrialId] = held with { Deadline = now + leaseTime, Progress = report };
    }

    /// <summary>
    /// A worker sent a result. Each result is journalled once: a copy resent while the first is
    /// being written is ignored, and one arriving after it was recorded is acknowledged.
    /// </summary>
    public ResultDecision ResultArrived(TWorker worker, string trialId)
    {
        var trial = state.Trial(trialId);
        if (trial is null || trial.Status != TrialStatus.Pending) return ResultDecision.Acknowledge;
        if (!_recording.Add(trialId)) return ResultDecision.Ignore;
        // The worker is free now and asks for its next trial without waiting for the write.
        if (_leases.Remove(trialId, out var lease) && !lease.Worker.Equals(worker))
        {
            // A late result from a worker that was given up on: the one running the trial since can stop.
            _outbox.Add(new Send<TWorker>(lease.Worker, new CancelTrial(trialId)));
        }
        return ResultDecision.Record;
    }

    /// <summary>The result of <paramref name="trialId"/> is in the journal (and applied to the state).</summary>
    public void ResultRecorded(string trialId) => _recording.Remove(trialId);

    /// <summary>
    /// A worker's attempt failed: true when the failure is to be journalled. A report from a worker
    /// the trial was taken from, while another runs it or its result is being written, is stale.
    /// </summary>
    public bool AttemptFailed(TWorker worker, string trialId)
    {
        var trial = state.Trial(trialId);
        if (trial is null || trial.Status != TrialStatus.Pending || _recording.Contains(trialId)) return false;
        if (_leases.TryGetValue(trialId, out var lease) && !lease.Worker.Equals(worker)) return false;
        _leases.Remove(trialId);
        return true;
    }

    /// <summary>A draining worker gives its trial back: it goes to the head of the queue.</summary>
    public void HandedBack(TWorker worker, string trialId, DateTimeOffset now)
    {
        if (_leases.TryGetValue(trialId, out var lease) && lease.Worker.Equals(worker)) Release(trialId, now);
    }

    /// <summary>The worker is dead (its node left or was downed): its trials go back to the queue.</summary>
    public IReadOnlyList<TrialLease<TWorker>> WorkerGone(TWorker worker, DateTimeOffset now) => Forget([worker], cancel: false, now);

    /// <summary>
    /// These workers' node is unreachable: their trials go back to the queue at once rather than
    /// when the node is downed or the leases run out. They are told to stop them, should they hear;
    /// one that comes back asks for work again, and a result it still sends is recorded once like any other.
    /// </summary>
    public IReadOnlyList<TrialLease<TWorker>> WorkersUnreachable(IReadOnlyCollection<TWorker> workers, DateTimeOffset now) =>
        Forget(workers, cancel: true, now);

    IReadOnlyList<TrialLease<TWorker>> Forget(IReadOnlyCollection<TWorker> workers, bool cancel, DateTimeOffset now)
    {
        // All of them first, so none is handed the trials of another.
        foreach (var worker in workers)
        {
            _workers.Remove(worker);
            _capacity.Remove(worker);
            _idle.Remove(worker);
        }
        var lost = _leases.Values.Where(l => workers.Contains(l.Worker)).ToList();
        foreach (var lease in lost)
        {
            if (cancel) _outbox.Add(new Send<TWorker>(lease.Worker, new CancelTrial(lease.Trial.TrialId)));
            Release(lease.Trial.TrialId, now);
        }
        return lost;
    }

    /// <summary>Leases past their deadline: each worker is told to stop, and the trial goes back to the queue.</summary>
    public IReadOnlyList<TrialLease<TWorker>> ExpireLeases(DateTimeOffset now)
    {
        var expired = _leases.Values.Where(l => l.Deadline < now).ToList();
        foreach (var lease in expired)
        {
            _outbox.Add(new Send<TWorker>(lease.Worker, new CancelTrial(lease.Trial.TrialId)));
            Release(lease.Trial.TrialId, now);
        }
        return expired;
    }

    /// <summary>After a sweep was cancelled: stops the running trials that no running sweep still needs.</summary>
    public void StopUnneededTrials()
    {
        foreach (var lease in _leases.Values.ToList())
        {
            if (state.Trial(lease.Trial.TrialId)!.Sweeps.Any(id => state.Sweep(id)!.State == SweepState.Running)) continue;
            _outbox.Add(new Send<TWorker>(lease.Worker, new CancelTrial(lease.Trial.TrialId)));
            _leases.Remove(lease.Trial.TrialId);
        }
    }

    void Release(string trialId, DateTimeOffset now)
    {
        if (!_leases.Remove(trialId)) return;
        state.Requeue(trialId);
        DispatchToIdle(now);
    }
}
