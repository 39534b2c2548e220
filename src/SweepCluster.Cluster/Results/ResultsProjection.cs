using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Storage;

namespace SweepCluster.Cluster.Results;

/// <summary>
/// Projects the coordinator's journal into the <c>trial_results</c> table (and its epoch and
/// sweep-membership tables) so that users can query results with any SQL tool, and so that
/// reports work after the cluster is gone. It reads the journal from the offset stored with the
/// rows and writes each batch with its offset in one transaction, so a crash anywhere replays at
/// most an uncommitted batch, and each result lands exactly once. Runs as a singleton next to the
/// coordinator; a database error restarts the stream from the stored offset, with backoff.
/// </summary>
public sealed class ResultsProjection : ReceiveActor
{
    public const string Name = "results-projection";
    public const string ProjectionId = "trial_results";

    readonly ResultsStore _store;
    readonly ILoggingAdapter _log = Context.GetLogger();
    UniqueKillSwitch? _killSwitch;

    public ResultsProjection(ResultsStore store) => _store = store;

    public static Props Props(ResultsStore store) => Akka.Actor.Props.Create(() => new ResultsProjection(store));

    protected override void PreStart()
    {
        var journal = PersistenceQuery.Get(Context.System).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var settings = RestartSettings.Create(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15), 0.2);
        _killSwitch = RestartSource.WithBackoff(() =>
                Source.FromTask(_store.ReadOffsetAsync(ProjectionId))
                    .ConcatMany(offset => journal.EventsByPersistenceId(SweepCoordinator.Name, offset + 1, long.MaxValue))
                    .GroupedWithin(500, TimeSpan.FromMilliseconds(100))
                    .SelectAsync(1, async batch =>
                    {
                        await Write(batch.ToList());
                        return NotUsed.Instance;
                    }), settings)
            .ViaMaterialized(KillSwitches.Single<NotUsed>(), Keep.Right)
            .ToMaterialized(Sink.Ignore<NotUsed>(), Keep.Left)
            .Run(Context.Materializer());
    }

    protected override void PostStop() => _killSwitch?.Shutdown();

    async Task Write(IReadOnlyList<EventEnvelope> batch)
    {
        var rows = new List<ResultRow>();
        var memberships = new List<SweepMembership>();
        var sweeps = new List<SweepRow>();
        foreach (var envelope in batch)
        {
            switch (envelope.Event)
            {
                case TrialCompleted c:
                    rows.Add(ResultRow.From(c.Result, c.CellKey, c.WorkerId));
                    break;
                case SweepSubmitted s:
                    var plan = SweepPlanner.Replan(s);
                    memberships.AddRange(plan.Trials.Select(t => new SweepMembership(s.SweepId, t.TrialId)));
                    sweeps.Add(new SweepRow(s.SweepId, s.Name, s.At, plan.EquivalenceMargin, s.SpecYaml));
                    break;
                case SeedsAdded a:
                    memberships.AddRange(a.TrialIds.Select(id => new SweepMembership(a.SweepId, id)));
                    break;
            }
        }
        await _store.WriteBatchAsync(ProjectionId, batch[^1].SequenceNr, rows, memberships, sweeps);
        if (rows.Count > 0) _log.Debug("Projected {0} results up to event {1}", rows.Count, batch[^1].SequenceNr);
    }
}
