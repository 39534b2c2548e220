using Akka.Actor;
using Akka.Event;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cluster.Worker;

/// <summary>
/// One device slot (a GPU, or a share of the CPU). Asks the coordinator for a trial whenever it
/// is free, runs it on the trial runner's own thread and returns at once, so its mailbox keeps
/// answering cancel and drain while the trial trains. Forwards progress (which renews the lease),
/// and resends each result until the coordinator acknowledges it. It asks for the next trial as
/// soon as a result is sent, not when it is acknowledged, so the journal's write latency never
/// idles the device: results wait for their acknowledgement side by side, and the journal writes
/// them in batches.
/// </summary>
public sealed class TrialWorker : ReceiveActor, IWithTimers
{
    /// <summary>Stop after handing back the running trial (sent by CoordinatedShutdown).</summary>
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
    readonly ILoggingAdapter _log = Context.GetLogger();
    AssignTrial? _current;
    CancellationTokenSource? _cancellation;
    TrialProgressReport? _lastProgress;
    /// <summary>Results sent but not yet acknowledged, by trial id; resent on every tick.</summary>
    readonly Dictionary<string, TrialSucceeded> _unacknowledged = new();
    bool _draining;

    public TrialWorker(string workerId, IActorRef coordinator, TrialRunner runner, TrialRunOptions options)
    {
        _workerId = workerId;
        _coordinator = coordinator;
        _runner = runner;
        _options = options;
        Idle();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string workerId, IActorRef coordinator, TrialRunner runner, TrialRunOptions options) =>
        Akka.Actor.Props.Create(() => new TrialWorker(workerId, coordinator, runner, options));

    protected override void PreStart()
    {
        // While idle the request is repeated, so a coordinator that restarted (and forgot who was
        // waiting) hears from this worker again; while busy the tick renews the lease.
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(2));
        _coordinator.Tell(new RequestWork(_workerId));
    }

    protected override void PostStop() => _cancellation?.Cancel();

    void Idle()
    {
        Receive<AssignTrial>(HandleAssign);
        Receive<Tick>(_ =>
        {
            ResendUnacknowledged();
            if (!_draining) _coordinator.Tell(new RequestWork(_workerId));
        });
        Receive<ResultAccepted>(HandleAccepted);
        Receive<CancelTrial>(_ => { });
        Receive<Drain>(_ =>
        {
            _draining = true;
            StopIfDrained();
        });
        // Late news of a trial this slot already gave up.
        Receive<Progressed>(_ => { });
        Receive<Finished>(_ => { });
        Receive<Crashed>(_ => { });
    }

    void Busy()
    {
        Receive<Progressed>(p =>
        {
            var t = p.Progress;
            _lastProgress = new TrialProgressReport(_workerId, _current!.Trial.TrialId, t.Phase, t.Epoch, t.Epochs, t.Batch, t.Batches, t.ImagesPerSecond);
            _coordinator.Tell(_lastProgress);
        });
        Receive<Tick>(_ =>
        {
            ResendUnacknowledged();
            _coordinator.Tell(_lastProgress ?? new TrialProgressReport(_workerId, _current!.Trial.TrialId, "starting", 0, 0, 0, 0, 0));
        });
        Receive<Finished>(f => f.TrialId == _current?.Trial.TrialId, f =>
        {
            var result = new TrialSucceeded(_workerId, f.Result);
            _unacknowledged[f.TrialId] = result;
            _coordinator.Tell(result);
            Free();
        });
        Receive<ResultAccepted>(HandleAccepted);
        Receive<Crashed>(c => c.TrialId == _current?.Trial.TrialId, HandleCrash);
        Receive<CancelTrial>(c => c.TrialId == _current?.Trial.TrialId, _ => _cancellation?.Cancel());
        Receive<AssignTrial>(a =>
        {
            // The coordinator lost track of us (it restarted): give the new trial back untouched.
            if (a.Trial.TrialId != _current?.Trial.TrialId) Sender.Tell(new TrialHandedBack(_workerId, a.Trial.TrialId));
        });
        Receive<Drain>(_ =>
        {
            _draining = true;
            _log.Info("Draining: handing back trial {0}", _current!.Trial.TrialId[..12]);
            _coordinator.Tell(new TrialHandedBack(_workerId, _current.Trial.TrialId));
            _cancellation?.Cancel();
            _current = null;
            Become(Idle);
            StopIfDrained();
        });
    }

    void HandleAssign(AssignTrial assign)
    {
        if (_draining)
        {
            // Asked for before the drain began: someone else runs it.
            Sender.Tell(new TrialHandedBack(_workerId, assign.Trial.TrialId));
            return;
        }
        _current = assign;
        _lastProgress = null;
        _cancellation = new CancellationTokenSource();
        var self = Self;
        var trialId = assign.Trial.TrialId;
        _log.Info("Running trial {0} ({1} seed {2}, attempt {3})", trialId[..12], assign.Trial.CellLabel, assign.Trial.Config.Seed, assign.Attempt);
        _runner.RunAsync(assign.Trial.Config, _options, p => self.Tell(new Progressed(p)), _cancellation.Token)
            .PipeTo(self, success: r => new Finished(trialId, r), failure: e => new Crashed(trialId, e));
        Become(Busy);
    }

    void HandleCrash(Crashed crash)
    {
        var error = crash.Error is AggregateException { InnerException: { } inner } ? inner : crash.Error;
        if (error is OperationCanceledException)
        {
            Free(); // cancelled by the coordinator, which already took the trial back
            return;
        }
        // Bad configuration, bad data and diverging training fail the same way every time.
        var deterministic = error is TrialFailedException or ConfigException or DataFormatException or ArgumentException;
        _log.Warning("Trial {0} failed: {1}", crash.TrialId[..12], error.Message);
        _coordinator.Tell(new TrialAttemptFailed(_workerId, crash.TrialId, error.Message, deterministic));
        Free();
    }

    void Free()
    {
        _current = null;
        _cancellation?.Dispose();
        _cancellation = null;
        Become(Idle);
        if (_draining) StopIfDrained();
        else _coordinator.Tell(new RequestWork(_workerId));
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
        if (_current is null && _unacknowledged.Count == 0) Context.Stop(Self);
    }
}
