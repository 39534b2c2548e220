using SweepCluster.Training.Trials;

namespace SweepCluster.Cluster.Protocol;

/// <summary>
/// Marker of every message that crosses the network or reaches the journal. One serializer
/// (<see cref="SweepMessageSerializer"/>) is bound to it, so nothing relies on Akka's default
/// reflection-based serializer.
/// </summary>
public interface ISweepMessage;

/// <summary>A trial as the coordinator knows it: its id (the config hash), its cell, and what to run.</summary>
/// <param name="CellKey">Trials that differ only by seed share a cell key.</param>
/// <param name="CellLabel">A readable name of the cell ("noisy p=0.5").</param>
public sealed record PlannedTrial(string TrialId, string CellKey, string CellLabel, TrialConfig Config) : ISweepMessage;

// ---- Commands: client -> coordinator -------------------------------------------------------

/// <summary>Submit a sweep spec (YAML). Answered with <see cref="SweepAccepted"/> or <see cref="SweepRejected"/>.</summary>
/// <param name="Force">Run every trial again, even those with a recorded result.</param>
public sealed record SubmitSweep(string SpecYaml, string SourceName, bool Force) : ISweepMessage;

public sealed record SweepAccepted(string SweepId, int Trials, int AlreadyCompleted) : ISweepMessage;

public sealed record SweepRejected(string Reason) : ISweepMessage;

/// <summary>Stop dispatching a sweep's trials and cancel the ones running. Answered with <see cref="SweepStatusReply"/>.</summary>
public sealed record CancelSweep(string SweepId) : ISweepMessage;

// ---- Queries: client -> coordinator --------------------------------------------------------

public sealed class ListSweeps : ISweepMessage
{
    public static readonly ListSweeps Instance = new();
    private ListSweeps() { }
}

public sealed record SweepList(IReadOnlyList<SweepSummary> Sweeps) : ISweepMessage;

/// <summary>Answered with <see cref="SweepStatusReply"/>.</summary>
public sealed record GetSweepStatus(string SweepId) : ISweepMessage;

public enum SweepState
{
    Running,
    Completed,
    Cancelled,
}

public sealed record SweepSummary(
    string SweepId, string Name, SweepState State, int Trials, int Completed, int Failed, int Running,
    DateTimeOffset SubmittedAt, DateTimeOffset? FinishedAt) : ISweepMessage;

/// <summary>Progress of one cell: "true, p=0.5: 173/200 seeds".</summary>
/// <param name="HalfWidth">Half-width of the 95% t-interval of the cell's test accuracy: what an adaptive seed budget drives down.</param>
public sealed record CellProgress(string CellKey, string Label, int Trials, int Completed, int Failed, double? MeanTestAccuracy, double? HalfWidth)
    : ISweepMessage;

/// <summary>A worker slot and what it is doing.</summary>
public sealed record WorkerProgress(
    string WorkerId, string? TrialId, string? CellLabel, int? Seed, string? Phase, int Epoch, int Epochs, double Fraction,
    double ImagesPerSecond) : ISweepMessage;

/// <summary>Null <see cref="Summary"/> when the sweep is unknown.</summary>
public sealed record SweepStatusReply(
    SweepSummary? Summary, IReadOnlyList<CellProgress> Cells, IReadOnlyList<WorkerProgress> Workers,
    double? SecondsRemaining, IReadOnlyList<string> Failures) : ISweepMessage;

// ---- Work pulling: worker <-> coordinator --------------------------------------------------

/// <summary>
/// A worker slot is free and asks for work. It gets <see cref="AssignTrials"/> now or when work
/// arrives: one trial, or, for a slot that fuses seeds (<paramref name="Capacity"/> above 1), up
/// to that many training trials of one cell, to train as one model.
/// </summary>
public sealed record RequestWork(string WorkerId, int Capacity = 1) : ISweepMessage;

/// <summary>A trial handed out, and which attempt at it this is.</summary>
public sealed record Assignment(PlannedTrial Trial, int Attempt) : ISweepMessage;

/// <summary>
/// Run these trials (several only when they are seeds of one cell, to be fused). Each has a lease
/// of its own: report progress on it before the lease runs out, or it goes back to the queue.
/// </summary>
public sealed record AssignTrials(IReadOnlyList<Assignment> Trials, TimeSpan Lease) : ISweepMessage;

/// <summary>Progress of a running trial; also renews its lease.</summary>
public sealed record TrialProgressReport(string WorkerId, string TrialId, string Phase, int Epoch, int Epochs, int Batch, int Batches, double ImagesPerSecond)
    : ISweepMessage;

/// <summary>A trial finished. Resent until <see cref="ResultAccepted"/> comes back, so a result survives a coordinator failover.</summary>
public sealed record TrialSucceeded(string WorkerId, TrialResult Result) : ISweepMessage;

public sealed record ResultAccepted(string TrialId) : ISweepMessage;

/// <summary>A trial attempt failed. Deterministic failures (bad data, a NaN loss) are not retried.</summary>
public sealed record TrialAttemptFailed(string WorkerId, string TrialId, string Reason, bool Deterministic) : ISweepMessage;

/// <summary>A draining worker gives its trial back unfinished.</summary>
public sealed record TrialHandedBack(string WorkerId, string TrialId) : ISweepMessage;

/// <summary>Coordinator -> worker: stop this trial (its sweep was cancelled).</summary>
public sealed record CancelTrial(string TrialId) : ISweepMessage;

// ---- Events: what the coordinator journals -------------------------------------------------

public interface ICoordinatorEvent : ISweepMessage;

/// <summary>
/// A sweep was accepted. The spec, not its trials, is journalled: expansion is deterministic, so
/// recovery re-expands it, and the event stays small however many trials the sweep has.
/// </summary>
/// <param name="BaseDirectory">What relative dataset paths in the spec meant when it was accepted (null in events written before it was recorded).</param>
/// <param name="AutoDataset">What <c>dataset.name: auto</c> meant when it was accepted (null in events written before specs could say auto).</param>
public sealed record SweepSubmitted(string SweepId, string Name, string SpecYaml, string SourceName, bool Force, int Trials, DateTimeOffset At,
    string? BaseDirectory = null, string? AutoDataset = null)
    : ICoordinatorEvent;

/// <summary>A trial's result, recorded once per trial id (again only after a forced rerun).</summary>
public sealed record TrialCompleted(TrialResult Result, string CellKey, string WorkerId, DateTimeOffset At) : ICoordinatorEvent;

public sealed record TrialFailedAttempt(string TrialId, string WorkerId, string Reason, bool Deterministic, DateTimeOffset At) : ICoordinatorEvent;

public sealed record SweepCancelled(string SweepId, DateTimeOffset At) : ICoordinatorEvent;

/// <summary>An adaptive seed budget added seeds to a cell whose interval was still too wide (docs/spec.md, seeds).</summary>
/// <param name="TrialIds">The ids of the added trials, so the results projection can record which sweep they belong to.</param>
public sealed record SeedsAdded(string SweepId, string CellKey, IReadOnlyList<int> Seeds, IReadOnlyList<string> TrialIds, DateTimeOffset At)
    : ICoordinatorEvent;
