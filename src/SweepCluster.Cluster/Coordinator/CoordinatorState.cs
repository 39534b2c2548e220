using System.Security.Cryptography;
using System.Text;
using SweepCluster.Analysis;
using SweepCluster.Cluster.Protocol;

namespace SweepCluster.Cluster.Coordinator;

/// <summary>An adaptive seed budget: seeds are added to a cell until the interval of <see cref="Metric"/> is narrow enough.</summary>
public sealed record AdaptiveSeedPolicy(SeedPolicy Budget, string Metric);

/// <summary>A spec expanded into trials; expansion is a pure function of the spec text.</summary>
/// <param name="Adaptive">Set when the spec's seeds are an adaptive budget; <see cref="Trials"/> then hold the first seeds only.</param>
/// <param name="EquivalenceMargin">The spec's margin for equivalence tests in reports (docs/spec.md).</param>
public sealed record SweepPlan(string Name, IReadOnlyList<PlannedTrial> Trials, AdaptiveSeedPolicy? Adaptive = null, double? EquivalenceMargin = null)
{
    /// <summary>"name-" plus 8 hex digits of the hash of the trial ids: the same trials, the same sweep.</summary>
    public string SweepId()
    {
        var ids = string.Join('\n', Trials.Select(t => t.TrialId).Order(StringComparer.Ordinal));
        return $"{Name}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ids)))[..8]}";
    }
}

public enum TrialStatus
{
    Pending,
    Completed,
    Failed,
}

/// <summary>What the coordinator remembers of a trial. Full results live in the journal and the results table, not here.</summary>
public sealed class TrialRecord(PlannedTrial planned)
{
    public PlannedTrial Planned { get; } = planned;
    public TrialStatus Status { get; set; }
    public int FailedAttempts { get; set; }
    public string? FailureReason { get; set; }
    public double? TestAccuracy { get; set; }
    public double? PreFinetuneTestAccuracy { get; set; }
    public List<string> Sweeps { get; } = [];
}

public sealed class SweepRecord(SweepSubmitted submitted, SweepPlan plan)
{
    public SweepSubmitted Submitted { get; } = submitted;
    /// <summary>The planned trials, and those an adaptive budget added since.</summary>
    public List<PlannedTrial> Trials { get; } = [.. plan.Trials];
    public AdaptiveSeedPolicy? Adaptive { get; } = plan.Adaptive;
    /// <summary>Every budget decision, in order: a snapshot replays them after re-expanding the spec.</summary>
    public List<SeedsAdded> AddedSeeds { get; } = [];
    public SweepState State { get; set; } = SweepState.Running;
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>Trials of this sweep still pending; the sweep is finished at zero.</summary>
    public int Remaining { get; set; }
    /// <summary>Trial ids not yet handed out, in expansion order. Rebuilt by recovery, never journalled.</summary>
    public LinkedList<string> Queue { get; } = new();
}

/// <summary>
/// The coordinator's state and the rules that change it: <see cref="Apply"/> is the only way in,
/// used alike by live commands and by recovery, so both produce the same state. Which trials are
/// leased to which worker is not part of it: after a restart every unfinished trial is pending again.
/// </summary>
public sealed class CoordinatorState(Func<SweepSubmitted, SweepPlan> expand, int maxAttempts)
{
    readonly Dictionary<string, SweepRecord> _sweeps = new();
    readonly Dictionary<string, TrialRecord> _trials = new();
    readonly List<string> _order = [];
    int _nextSweep;

    public int MaxAttempts => maxAttempts;
    public IReadOnlyCollection<SweepRecord> Sweeps => _order.Select(id => _sweeps[id]).ToList();
    public SweepRecord? Sweep(string id) => _sweeps.GetValueOrDefault(id);
    public TrialRecord? Trial(string id) => _trials.GetValueOrDefault(id);
    public int TrialCount => _trials.Count;

    public void Apply(ICoordinatorEvent e)
    {
        switch (e)
        {
            case SweepSubmitted s:
                Submit(s);
                break;
            case TrialCompleted c:
                Complete(c.Result.ConfigHash, c.Result.TestAccuracy, c.Result.PreFinetuneTestAccuracy, c.At);
                break;
            case SeedsAdded a when _sweeps.TryGetValue(a.SweepId, out var grown):
                AddSeeds(grown, a);
                break;
            case TrialFailedAttempt f:
                Fail(f);
                break;
            case SweepCancelled c when _sweeps.TryGetValue(c.SweepId, out var sweep) && sweep.State == SweepState.Running:
                sweep.State = SweepState.Cancelled;
                sweep.FinishedAt = c.At;
                sweep.Queue.Clear();
                break;
        }
    }

    void Submit(SweepSubmitted s)
    {
        var plan = expand(s);
        if (!_sweeps.TryGetValue(s.SweepId, out var sweep))
        {
            sweep = new SweepRecord(s, plan);
            _sweeps[s.SweepId] = sweep;
            _order.Add(s.SweepId);
        }
        else
        {
            // Submitted again: resume (or rerun, when forced) with the original record.
            sweep.State = SweepState.Running;
            sweep.FinishedAt = null;
            sweep.Queue.Clear();
        }
        foreach (var planned in sweep.Trials)
        {
            if (!_trials.TryGetValue(planned.TrialId, out var trial))
                _trials[planned.TrialId] = trial = new TrialRecord(planned);
            if (!trial.Sweeps.Contains(s.SweepId)) trial.Sweeps.Add(s.SweepId);
            // A forced rerun runs everything again; a plain resubmission gives failed trials another chance.
            if (s.Force || trial.Status == TrialStatus.Failed)
            {
                SetStatus(trial, TrialStatus.Pending);
                trial.FailedAttempts = 0;
                trial.FailureReason = null;
            }
        }
        RebuildQueue(sweep);
        FinishIfDone(sweep, s.At);
    }

    void Complete(string trialId, double testAccuracy, double? preFinetune, DateTimeOffset at)
    {
        if (!_trials.TryGetValue(trialId, out var trial)) return;
        SetStatus(trial, TrialStatus.Completed);
        trial.TestAccuracy = testAccuracy;
        trial.PreFinetuneTestAccuracy = preFinetune;
        trial.FailureReason = null;
        foreach (var sweepId in trial.Sweeps) FinishIfDone(_sweeps[sweepId], at);
    }

    void Fail(TrialFailedAttempt f)
    {
        if (!_trials.TryGetValue(f.TrialId, out var trial) || trial.Status != TrialStatus.Pending) return;
        trial.FailedAttempts++;
        trial.FailureReason = f.Reason;
        if (f.Deterministic || trial.FailedAttempts >= maxAttempts)
        {
            SetStatus(trial, TrialStatus.Failed);
            foreach (var sweepId in trial.Sweeps) FinishIfDone(_sweeps[sweepId], f.At);
        }
        else
        {
            Requeue(f.TrialId);
        }
    }

    /// <summary>Changes a trial's status and keeps every containing sweep's count of remaining trials in step.</summary>
    void SetStatus(TrialRecord trial, TrialStatus status)
    {
        if (trial.Status == status) return;
        var delta = status == TrialStatus.Pending ? 1 : trial.Status == TrialStatus.Pending ? -1 : 0;
        trial.Status = status;
        foreach (var sweepId in trial.Sweeps)
            if (_sweeps.TryGetValue(sweepId, out var sweep)) sweep.Remaining += delta;
    }

    /// <summary>Counts the sweep's pending trials and queues them in expansion order.</summary>
    void RebuildQueue(SweepRecord sweep)
    {
        sweep.Queue.Clear();
        sweep.Remaining = 0;
        foreach (var planned in sweep.Trials)
        {
            if (_trials[planned.TrialId].Status != TrialStatus.Pending) continue;
            sweep.Remaining++;
            if (sweep.State == SweepState.Running) sweep.Queue.AddLast(planned.TrialId);
        }
    }

    /// <summary>
    /// The seeds an adaptive budget wants now: for each cell with nothing left to run, the
    /// budget's verdict on its completed values (<see cref="SeedBudget"/>), as the next seeds after
    /// the cell's highest. Decided from recorded results only, so a restarted coordinator decides
    /// the same.
    /// </summary>
    /// <param name="cellKey">Only this cell; all cells when null.</param>
    public IReadOnlyList<(string CellKey, IReadOnlyList<int> Seeds)> SeedsWanted(SweepRecord sweep, string? cellKey = null)
    {
        if (sweep.Adaptive is not { } policy || sweep.State != SweepState.Running) return [];
        var wanted = new List<(string, IReadOnlyList<int>)>();
        foreach (var cell in sweep.Trials.Where(t => cellKey is null || t.CellKey == cellKey).GroupBy(t => t.CellKey))
        {
            var records = cell.Select(t => _trials[t.TrialId]).ToList();
            if (records.Any(r => r.Status == TrialStatus.Pending)) continue;
            var values = Metric(records.Where(r => r.Status == TrialStatus.Completed), policy.Metric);
            // Failed trials count towards max, so a cell that keeps failing cannot grow forever.
            var more = Math.Min(SeedBudget.AdditionalSeeds(policy.Budget, values), policy.Budget.Max - records.Count);
            if (more <= 0) continue;
            var highest = cell.Max(t => t.Config.Seed);
            wanted.Add((cell.Key, Enumerable.Range(highest + 1, more).ToList()));
        }
        return wanted;
    }

    static IReadOnlyList<double> Metric(IEnumerable<TrialRecord> completed, string metric) => completed
        .Select(r => metric == "pre_finetune_test_accuracy" ? r.PreFinetuneTestAccuracy : r.TestAccuracy)
        .OfType<double>().ToList();

    static List<PlannedTrial> Reseed(SweepRecord sweep, SeedsAdded added) => Reseed(sweep, added.CellKey, added.Seeds);

    /// <summary>A cell's trials for more seeds: its first trial with another seed (and the noise seed derived from it).</summary>
    public static List<PlannedTrial> Reseed(SweepRecord sweep, string cellKey, IReadOnlyList<int> seeds)
    {
        var template = sweep.Trials.First(t => t.CellKey == cellKey);
        return seeds
            .Select(seed => (template.Config with { Seed = seed, NoiseSeed = null }).Normalise())
            .Select(config => new PlannedTrial(config.Hash(), template.CellKey, template.CellLabel, config))
            .ToList();
    }

    void AddSeeds(SweepRecord sweep, SeedsAdded added)
    {
        sweep.AddedSeeds.Add(added);
        foreach (var planned in Reseed(sweep, added))
        {
            sweep.Trials.Add(planned);
            if (!_trials.TryGetValue(planned.TrialId, out var trial)) _trials[planned.TrialId] = trial = new TrialRecord(planned);
            if (!trial.Sweeps.Contains(sweep.Submitted.SweepId)) trial.Sweeps.Add(sweep.Submitted.SweepId);
            if (trial.Status != TrialStatus.Pending) continue;
            sweep.Remaining++;
            sweep.Queue.AddLast(planned.TrialId);
        }
        FinishIfDone(sweep, added.At);
    }

    void FinishIfDone(SweepRecord sweep, DateTimeOffset at)
    {
        if (sweep.State != SweepState.Running) return;
        if (sweep.Remaining == 0 && SeedsWanted(sweep).Count == 0)
        {
            sweep.State = SweepState.Completed;
            sweep.FinishedAt = at;
        }
    }

    /// <summary>Trials of <paramref name="plan"/> with a result to reuse; none when forced to run again.</summary>
    public int AlreadyCompleted(SweepPlan plan, bool force) =>
        force ? 0 : plan.Trials.Count(t => Trial(t.TrialId)?.Status == TrialStatus.Completed);

    /// <summary>
    /// The answer to a submission that is not to be journalled, or null when it is: a sweep whose
    /// every trial is completed is accepted as it stands (unless forced), and one that would take
    /// the trials waiting across running sweeps past <paramref name="maxQueuedTrials"/> is refused,
    /// so a flood of sweeps cannot exhaust the coordinator's memory.
    /// </summary>
    public ISweepMessage? Admit(SweepPlan plan, bool force, int maxQueuedTrials)
    {
        var existing = Sweep(plan.SweepId());
        if (existing is not null && !force && existing.Remaining == 0 &&
            existing.Trials.All(t => _trials[t.TrialId].Status == TrialStatus.Completed))
            return new SweepAccepted(existing.Submitted.SweepId, existing.Trials.Count, existing.Trials.Count);
        var adds = plan.Trials.Count - AlreadyCompleted(plan, force);
        var queued = _sweeps.Values.Where(s => s.State == SweepState.Running).Sum(s => (long)s.Remaining);
        if (queued + adds > maxQueuedTrials)
            return new SweepRejected(
                $"{queued:N0} trials are waiting and this sweep adds {adds:N0}, over the coordinator's limit of {maxQueuedTrials:N0} (SWEEP_MAX_QUEUED_TRIALS); submit it when running sweeps have finished");
        return null;
    }

    /// <summary>
    /// The next trial to run, taking sweeps in turn so that concurrent sweeps share the workers
    /// fairly. Skips trials that are finished or already running (<paramref name="isRunning"/>).
    /// </summary>
    public PlannedTrial? TakeNext(Func<string, bool> isRunning)
    {
        var running = _order.Where(id => _sweeps[id].State == SweepState.Running).ToList();
        for (var i = 0; i < running.Count; i++)
        {
            var sweep = _sweeps[running[(_nextSweep + i) % running.Count]];
            while (sweep.Queue.First is { } node)
            {
                sweep.Queue.RemoveFirst();
                var trial = _trials[node.Value];
                if (trial.Status != TrialStatus.Pending || isRunning(node.Value)) continue;
                _nextSweep = (_nextSweep + i + 1) % running.Count;
                return trial.Planned;
            }
        }
        return null;
    }

    /// <summary>
    /// Up to <paramref name="count"/> more trials of <paramref name="first"/>'s cell, taken out of
    /// its sweeps' queues, for a worker that trains several seeds as one fused model. A cell's seeds
    /// sit together in expansion order, so the search looks only at the head of each queue: a
    /// cell with no seeds left must not cost a walk through a queue of 100,000 other trials.
    /// </summary>
    public IReadOnlyList<PlannedTrial> TakeCellmates(PlannedTrial first, int count, Func<string, bool> isRunning)
    {
        var window = 64 + 4 * count;
        var taken = new List<PlannedTrial>();
        foreach (var sweepId in _trials[first.TrialId].Sweeps)
        {
            var sweep = _sweeps[sweepId];
            if (sweep.State != SweepState.Running) continue;
            var node = sweep.Queue.First;
            for (var looked = 0; node is not null && looked < window && taken.Count < count; looked++)
            {
                var next = node.Next;
                var trial = _trials[node.Value];
                if (trial.Planned.CellKey == first.CellKey && trial.Status == TrialStatus.Pending && node.Value != first.TrialId &&
                    !isRunning(node.Value) && taken.All(t => t.TrialId != node.Value))
                {
                    sweep.Queue.Remove(node);
                    taken.Add(trial.Planned);
                }
                node = next;
            }
        }
        return taken;
    }

    /// <summary>Puts an unfinished trial back at the head of its sweeps' queues (its worker died, its lease ran out).</summary>
    public void Requeue(string trialId)
    {
        if (!_trials.TryGetValue(trialId, out var trial) || trial.Status != TrialStatus.Pending) return;
        foreach (var sweepId in trial.Sweeps)
        {
            var sweep = _sweeps[sweepId];
            // A duplicate entry is harmless: TakeNext skips trials that are finished or running.
            if (sweep.State == SweepState.Running) sweep.Queue.AddFirst(trialId);
        }
    }

    public SweepSummary Summarise(SweepRecord sweep, Func<string, bool> isRunning)
    {
        int completed = 0, failed = 0, running = 0;
        foreach (var t in sweep.Trials)
        {
            var status = _trials[t.TrialId].Status;
            if (status == TrialStatus.Completed) completed++;
            else if (status == TrialStatus.Failed) failed++;
            else if (isRunning(t.TrialId)) running++;
        }
        var s = sweep.Submitted;
        return new SweepSummary(s.SweepId, s.Name, sweep.State, sweep.Trials.Count, completed, failed, running, s.At, sweep.FinishedAt);
    }

    public IReadOnlyList<CellProgress> Cells(SweepRecord sweep) => sweep.Trials
        .GroupBy(t => t.CellKey)
        .Select(g =>
        {
            var records = g.Select(t => _trials[t.TrialId]).ToList();
            var done = records.Where(r => r.Status == TrialStatus.Completed).ToList();
            var accuracy = Metric(done, "test_accuracy");
            return new CellProgress(g.Key, g.First().CellLabel, records.Count, done.Count,
                records.Count(r => r.Status == TrialStatus.Failed), accuracy.Count > 0 ? accuracy.Average() : null, SeedBudget.HalfWidth(accuracy));
        })
        .ToList();

    public CoordinatorSnapshot ToSnapshot() => new(
        _order.Select(id => _sweeps[id]).Select(s => new SweepSnapshot(s.Submitted, s.State, s.FinishedAt, s.AddedSeeds.ToList())).ToList(),
        _trials.Values.Where(t => t.Status != TrialStatus.Pending || t.FailedAttempts > 0)
            .Select(t => new TrialSnapshot(t.Planned.TrialId, t.Status, t.FailedAttempts, t.FailureReason, t.TestAccuracy, t.PreFinetuneTestAccuracy)).ToList());

    /// <summary>Rebuilds the state of a snapshot: sweeps are re-expanded, then trial outcomes laid over them.</summary>
    public void Restore(CoordinatorSnapshot snapshot)
    {
        foreach (var s in snapshot.Sweeps)
        {
            var sweep = new SweepRecord(s.Submitted, expand(s.Submitted)) { State = s.State, FinishedAt = s.FinishedAt };
            _sweeps[s.Submitted.SweepId] = sweep;
            _order.Add(s.Submitted.SweepId);
            foreach (var added in s.AddedSeeds)
            {
                // Re-plan the added seeds the way AddSeeds did, without touching statuses yet.
                sweep.AddedSeeds.Add(added);
                sweep.Trials.AddRange(Reseed(sweep, added));
            }
            foreach (var planned in sweep.Trials)
            {
                if (!_trials.TryGetValue(planned.TrialId, out var trial)) _trials[planned.TrialId] = trial = new TrialRecord(planned);
                trial.Sweeps.Add(s.Submitted.SweepId);
            }
        }
        foreach (var t in snapshot.Trials)
        {
            if (!_trials.TryGetValue(t.TrialId, out var trial)) continue;
            trial.Status = t.Status;
            trial.FailedAttempts = t.FailedAttempts;
            trial.FailureReason = t.FailureReason;
            trial.TestAccuracy = t.TestAccuracy;
            trial.PreFinetuneTestAccuracy = t.PreFinetuneTestAccuracy;
        }
        foreach (var sweep in _sweeps.Values) RebuildQueue(sweep);
    }
}

/// <summary>The state in a form the journal's snapshot store keeps: sweeps as submitted, and the trials that have an outcome.</summary>
public sealed record CoordinatorSnapshot(IReadOnlyList<SweepSnapshot> Sweeps, IReadOnlyList<TrialSnapshot> Trials) : ISweepMessage;

public sealed record SweepSnapshot(SweepSubmitted Submitted, SweepState State, DateTimeOffset? FinishedAt, IReadOnlyList<SeedsAdded> AddedSeeds)
    : ISweepMessage;

public sealed record TrialSnapshot(string TrialId, TrialStatus Status, int FailedAttempts, string? FailureReason, double? TestAccuracy,
    double? PreFinetuneTestAccuracy) : ISweepMessage;
