using Akka.Actor;
using Akka.Event;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cluster.Worker;

/// <summary>
/// One device slot (a GPU, or a share of the CPU). Asks the coordinator for work whenever it is
/// free, runs what it gets on the trial runner's own thread and returns at once, so its mailbox
/// keeps answering cancel and drain while the trial trains. A slot that fuses seeds
/// (<c>fuseSeeds</c> above 1) asks for up to that many trials of one cell and trains them as one
/// model; each keeps its own lease, progress, result and failure. Forwards progress (which renews
/// the leases), and resends each result until the coordinator acknowledges it. It asks for more
/// work as soon as its results are sent, not when they are acknowledged, so the journal's write
/// latency never idles the device: results wait for their acknowledgement side by side, and the
/// journal writes them in batches.
/// </summary>
public sealed class TrialWorker : ReceiveActor, IWithTimers
{
    /// <summary>Stop after handing back the running trials (sent by CoordinatedShutdown).</summary>
    public sealed class Drain
    {
        public static readonly Drain Instance = new();
    }

    sealed record Finished(string TrialId, TrialResult Result);

    sealed record Crashed(string TrialId, Exception Error);

    sealed record Progressed(TrialProgress Progress);

    sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    readonly string _workerId;
    readonly IActorRef _coordinator;
    readonly TrialRunner _runner;
    readonly TrialRunOptions _options;
    readonly int _fuseSeeds;
    readonly ILoggingAdapter _log = Context.GetLogger();
    /// <summary>The trials of the run in progress whose outcome has not come back yet, by id.</summary>
    readonly Dictionary<string, Assignment> _running = new();
    /// <summary>Trials of the run given back to the coordinator (the run was cancelled under them); their outcome is not reported as a failure.</summary>
    readonly HashSet<string> _handedBack = new();
    CancellationTokenSource? _cancellation;
    TrialProgress? _lastProgress;
    /// <summary>Results sent but not yet acknowledged, by trial id; resent on every tick.</summary>
    readonly Dictionary<string, TrialSucceeded> _unacknowledged = new();
    bool _draining;

    public TrialWorker(string workerId, IActorRef coordinator, TrialRunner runner, TrialRunOptions options, int fuseSeeds = 1)
    {
        _workerId = workerId;
        _coordinator = coordinator;
        _runner = runner;
        _options = options;
        _fuseSeeds = Math.Max(1, fuseSeeds);
        Idle();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string workerId, IActorRef coordinator, TrialRunner runner, TrialRunOptions options, int fuseSeeds = 1) =>
        Akka.Actor.Props.Create(() => new TrialWorker(workerId, coordinator, runner, options, fuseSeeds));

    protected override void PreStart()
    {
        // While idle the request is repeated, so a coordinator that restarted (and forgot who was
        // waiting) hears from this worker again; while busy the tick renews the leases.
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(2));
        AskForWork();
    }

    protected override void PostStop() => _cancellation?.Cancel();

    void AskForWork() => _coordinator.Tell(new RequestWork(_workerId, _fuseSeeds));

    void Idle()
    {
        Receive<AssignTrials>(HandleAssign);
        Receive<Tick>(_ =>
        {
            ResendUnacknowledged();
            if (!_draining) AskForWork();
        });
        Receive<ResultAccepted>(HandleAccepted);
        Receive<CancelTrial>(_ => { });
        Receive<Drain>(_ =>
        {
            _draining = true;
            StopIfDrained();
        });
        // Late news of a run this slot already gave up.
        Receive<Progressed>(_ => { });
        Receive<Finished>(_ => { });
        Receive<Crashed>(_ => { });
    }

    void Busy()
    {
        Receive<Progressed>(p =>
        {
            _lastProgress = p.Progress;
            ReportProgress();
        });
        Receive<Tick>(_ =>
        {
            ResendUnacknowledged();
            ReportProgress();
        });
        Receive<Finished>(f => _running.ContainsKey(f.TrialId), f =>
        {
            // Sent even for a trial handed back meanwhile: the coordinator records a result once,
            // and stops whoever runs the trial since.
            var result = new TrialSucceeded(_workerId, f.Result);
            _unacknowledged[f.TrialId] = result;
            _coordinator.Tell(result);
            Ended(f.TrialId);
        });
        Receive<ResultAccepted>(HandleAccepted);
        Receive<Crashed>(c => _running.ContainsKey(c.TrialId), HandleCrash);
        Receive<CancelTrial>(c => _running.ContainsKey(c.TrialId), c =>
        {
            // A fused run trains its trials together, so stopping one stops them all: the others
            // go back to the coordinator at once rather than when their leases run out.
            foreach (var other in _running.Keys.Where(id => id != c.TrialId && _handedBack.Add(id)))
                _coordinator.Tell(new TrialHandedBack(_workerId, other));
            _handedBack.Add(c.TrialId);
            _cancellation?.Cancel();
        });
        Receive<AssignTrials>(a =>
        {
            // The coordinator lost track of us (it restarted): give the new trials back untouched.
            foreach (var trial in a.Trials.Where(t => !_running.ContainsKey(t.Trial.TrialId)))
                Sender.Tell(new TrialHandedBack(_workerId, trial.Trial.TrialId));
        });
        Receive<Drain>(_ =>
        {
            _draining = true;
            foreach (var id in _running.Keys.Where(_handedBack.Add))
            {
                _log.Info("Draining: handing back trial {0}", id[..12]);
                _coordinator.Tell(new TrialHandedBack(_workerId, id));
            }
            _cancellation?.Cancel();
            _running.Clear();
            _handedBack.Clear();
            Become(Idle);
            StopIfDrained();
        });
    }

    void HandleAssign(AssignTrials assign)
    {
        if (_draining)
        {
            // Asked for before the drain began: someone else runs them.
            foreach (var trial in assign.Trials) Sender.Tell(new TrialHandedBack(_workerId, trial.Trial.TrialId));
            return;
        }
        foreach (var trial in assign.Trials) _running[trial.Trial.TrialId] = trial;
        _lastProgress = null;
        _cancellation = new CancellationTokenSource();
        var self = Self;
        void OnProgress(TrialProgress p) => self.Tell(new Progressed(p));
        foreach (var t in assign.Trials)
            _log.Info("Running trial {0} ({1} seed {2}, attempt {3}{4})", t.Trial.TrialId[..12], t.Trial.CellLabel, t.Trial.Config.Seed, t.Attempt,
                assign.Trials.Count > 1 ? $", fused with {assign.Trials.Count - 1} more" : "");
        IReadOnlyList<Task<TrialResult>> runs;
        try
        {
            runs = assign.Trials.Count == 1
                ? [_runner.RunAsync(assign.Trials[0].Trial.Config, _options, OnProgress, _cancellation.Token)]
                : _runner.RunFused(assign.Trials.Select(t => t.Trial.Config).ToList(), _options, OnProgress, _cancellation.Token);
        }
        catch (Exception e) when (e is ArgumentException or ConfigException)
        {
            // Trials the runner refuses to start (an invalid configuration) fail like any that fails later.
            runs = assign.Trials.Select(_ => Task.FromException<TrialResult>(e)).ToList();
        }
        for (var i = 0; i < runs.Count; i++)
        {
            var trialId = assign.Trials[i].Trial.TrialId;
            runs[i].PipeTo(self, success: r => new Finished(trialId, r), failure: e => new Crashed(trialId, e));
        }
        Become(Busy);
    }

    /// <summary>Progress of the run, reported for each of its trials, each of which has a lease to renew.</summary>
    void ReportProgress()
    {
        var p = _lastProgress;
        foreach (var trialId in _running.Keys.Where(id => !_handedBack.Contains(id)))
            _coordinator.Tell(p is null
                ? new TrialProgressReport(_workerId, trialId, "starting", 0, 0, 0, 0, 0)
                : new TrialProgressReport(_workerId, trialId, p.Phase, p.Epoch, p.Epochs, p.Batch, p.Batches, p.ImagesPerSecond));
    }

    void HandleCrash(Crashed crash)
    {
        var error = crash.Error is AggregateException { InnerException: { } inner } ? inner : crash.Error;
        // Cancelled by the coordinator, which already took the trial back, or handed back by this worker.
        if (error is not OperationCanceledException && !_handedBack.Contains(crash.TrialId))
        {
            // Bad configuration, bad data and diverging training fail the same way every time.
            var deterministic = error is TrialFailedException or ConfigException or DataFormatException or ArgumentException;
            _log.Warning("Trial {0} failed: {1}", crash.TrialId[..12], error.Message);
            _coordinator.Tell(new TrialAttemptFailed(_workerId, crash.TrialId, error.Message, deterministic));
        }
        Ended(crash.TrialId);
    }

    /// <summary>One trial of the run has its outcome; once every trial has, the slot is free.</summary>
    void Ended(string trialId)
    {
        _running.Remove(trialId);
        if (_running.Count > 0) return;
        _handedBack.Clear();
        _cancellation?.Dispose();
        _cancellation = null;
        Become(Idle);
        if (_draining) StopIfDrained();
        else AskForWork();
    }

    void HandleAccepted(ResultAccepted accepted)
    {
        _unacknowledged.Remove(accepted.TrialId);
        if (_draining) StopIfDrained();
    }

    void ResendUnacknowledged()
    {
        foreach (var result in _unacknowledged.Values) _coordinator.Tell(result);
    }

    /// <summary>A draining worker stops once nothing runs and every result it sent is acknowledged, so no finished trial is lost.</summary>
    void StopIfDrained()
    {
        if (_running.Count == 0 && _unacknowledged.Count == 0) Context.Stop(Self);
    }
}
