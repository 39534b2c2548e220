using System.CommandLine;
using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Storage;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cli.Benchmarks;

/// <summary>What one scheduling run measured on one database.</summary>
public sealed record SchedulingFigures(
    string Database,
    int Trials,
    int Workers,
    double JournalPersistPerSecond,
    double JournalBatchedPerSecond,
    double SweepSeconds,
    double ProjectionSeconds,
    IReadOnlyList<SweepMemory> Memory)
{
    public double TrialsPerSecond => Trials / SweepSeconds;
    public double OverheadMsPerTrial => SweepSeconds * 1000 / Trials;
}

/// <summary>The process's memory when a fraction of the sweep had completed.</summary>
public sealed record SweepMemory(int Completed, double ResidentMb, double ManagedMb);

/// <summary>
/// Scheduling overhead: a sweep of N <c>sleep_ms: 0</c> trials through the real coordinator,
/// journal, results projection and W worker slots of an embedded node, so every figure is the
/// system's own cost per trial. In the same process and database, first the journal's own write
/// rates, with one <c>Persist</c> per message (each waits for its write) and one
/// <c>PersistAsync</c> per message (writes batch): the ceiling the sweep is set against.
/// </summary>
public static class SchedulingBenchmark
{
    /// <summary><c>sweep bench scheduling</c>.</summary>
    public static Command CreateCommand()
    {
        var trials = new Option<int>("--trials") { Description = "Sleep-0 trials in the sweep", DefaultValueFactory = _ => 10_000 };
        var workers = new Option<int>("--workers") { Description = "Worker slots on the node", DefaultValueFactory = _ => 16 };
        var databases = new Option<string>("--database") { Description = "sqlite, postgresql, or both (comma-separated)", DefaultValueFactory = _ => "sqlite,postgresql" };
        var postgres = new Option<string>("--postgres") { Description = "PostgreSQL connection string (a fresh schema is made and dropped)", DefaultValueFactory = _ => BenchDatabase.DefaultPostgres };
        var journalEvents = new Option<int>("--journal-events") { Description = "Events of the journal probes (Persist gets a tenth)", DefaultValueFactory = _ => 10_000 };
        var command = new Command("scheduling", "Trials/s and overhead per trial of sleep-0 trials end to end, against the journal's own write rate")
        {
            trials, workers, databases, postgres, journalEvents,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var figures = new List<SchedulingFigures>();
            foreach (var provider in parse.GetValue(databases)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                await using var database = await BenchDatabase.CreateAsync(provider, parse.GetValue(postgres)!);
                figures.Add(await RunAsync(database.Settings, parse.GetValue(trials), parse.GetValue(workers), parse.GetValue(journalEvents),
                    Console.Error.WriteLine, cancellation));
            }
            Print(figures);
            return 0;
        });
        return command;
    }

    public static async Task<SchedulingFigures> RunAsync(DatabaseSettings database, int trials, int workers, int journalEvents,
        Action<string> log, CancellationToken cancellation)
    {
        var settings = new NodeSettings
        {
            Port = 0,
            DatabaseProvider = database.ProviderName,
            DatabaseConnection = database.ConnectionString,
            Devices = $"cpu:{workers}",
            ThreadsPerSlot = 1,
            DownAfterSeconds = 2,
        };
        await using var node = await SweepNode.StartAsync(settings, new DatasetCatalog(settings.DataSettings()), "WARNING", cancellation);

        var persist = await JournalRateAsync(node.System, Math.Max(100, journalEvents / 10), batched: false);
        log($"{database.ProviderName}: journal, Persist per message: {persist:F0} events/s");
        var batched = await JournalRateAsync(node.System, journalEvents, batched: true);
        log($"{database.ProviderName}: journal, PersistAsync per message: {batched:F0} events/s");

        var spec = $"name: scheduling\nkind: sleep\nsleep_ms: 0\narms: [true]\nseeds: {trials}\n";
        var memory = new List<SweepMemory> { Sample(0) };
        var accepted = await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(spec, "bench", Force: true), TimeSpan.FromMinutes(2));
        SweepStatusReply status;
        var nextSample = trials / 10;
        while (true)
        {
            await Task.Delay(500, cancellation);
            status = await node.Coordinator.Ask<SweepStatusReply>(new GetSweepStatus(accepted.SweepId), TimeSpan.FromSeconds(30));
            var done = status.Summary!.Completed;
            if (done >= nextSample)
            {
                memory.Add(Sample(done));
                log($"{database.ProviderName}: {done:N0}/{trials:N0} trials, {memory[^1].ResidentMb:F0} MB resident");
                nextSample = (done / (trials / 10) + 1) * (trials / 10);
            }
            if (status.Summary.State != SweepState.Running) break;
        }
        // The coordinator stamps both ends, so the polling interval does not enter the figure.
        var sweepSeconds = (status.Summary.FinishedAt!.Value - status.Summary.SubmittedAt).TotalSeconds;
        var store = new ResultsStore(database);
        var projected = Stopwatch.StartNew();
        while (await store.CountBySweepAsync(accepted.SweepId, cancellation) < trials) await Task.Delay(100, cancellation);
        var projectionSeconds = (DateTimeOffset.UtcNow - status.Summary.SubmittedAt).TotalSeconds;
        memory.Add(Sample(trials));
        log($"{database.ProviderName}: sweep done in {sweepSeconds:F2} s, results table complete {projectionSeconds:F2} s after submission");
        return new SchedulingFigures(database.ProviderName, trials, workers, persist, batched, sweepSeconds, projectionSeconds, memory);
    }

    /// <summary>Resident and managed memory now (the managed heap after a full collection, so garbage not yet collected does not count).</summary>
    public static SweepMemory Sample(int completed)
    {
        var managed = GC.GetTotalMemory(forceFullCollection: true) / 1e6;
        return new SweepMemory(completed, MemoryBenchmark.ResidentMegabytes().Rss, managed);
    }

    /// <summary>Events/s of a fresh persistent actor writing <paramref name="events"/> events the size of a sleep trial's result.</summary>
    static async Task<double> JournalRateAsync(ActorSystem system, int events, bool batched)
    {
        var config = new TrialConfig { Kind = TrialKind.Sleep, Seed = 1 }.Normalise();
        var sample = new TrialCompleted(SleepTrial.Result(config, config.Hash(), DateTimeOffset.UtcNow), "cell", "bench", DateTimeOffset.UtcNow);
        var probe = system.ActorOf(Props.Create(() => new JournalProbe(batched)));
        // Warm-up: the first write opens connections and creates the journal's tables.
        await probe.Ask<JournalProbe.Written>(new JournalProbe.Write(sample, 1), TimeSpan.FromMinutes(1));
        var clock = Stopwatch.StartNew();
        await probe.Ask<JournalProbe.Written>(new JournalProbe.Write(sample, events), TimeSpan.FromMinutes(10));
        var rate = events / clock.Elapsed.TotalSeconds;
        await probe.GracefulStop(TimeSpan.FromSeconds(10));
        return rate;
    }

    /// <summary>
    /// Persists one event per incoming message, as the coordinator does with results; with
    /// <c>batched</c> through PersistAsync, which lets the journal write many in one go.
    /// </summary>
    sealed class JournalProbe : ReceivePersistentActor
    {
        public sealed record Write(TrialCompleted Event, int Count);

        public sealed record Written;

        sealed record One(TrialCompleted Event);

        readonly string _id = "bench-journal-" + Guid.NewGuid().ToString("N");
        int _expected;
        int _done;
        IActorRef? _asker;

        public JournalProbe(bool batched)
        {
            Command<Write>(w =>
            {
                (_expected, _done, _asker) = (w.Count, 0, Sender);
                for (var i = 0; i < w.Count; i++) Self.Tell(new One(w.Event));
            });
            Command<One>(o =>
            {
                if (batched) PersistAsync(o.Event, Count);
                else Persist(o.Event, Count);
            });
        }

        public override string PersistenceId => _id;

        void Count(TrialCompleted _)
        {
            if (++_done == _expected) _asker!.Tell(new Written());
        }
    }

    static void Print(IReadOnlyList<SchedulingFigures> figures)
    {
        Console.WriteLine($"| figure | {string.Join(" | ", figures.Select(f => f.Database))} |");
        Console.WriteLine($"|---|{string.Concat(figures.Select(_ => "---:|"))}");
        void Row(string name, Func<SchedulingFigures, string> value) => Console.WriteLine($"| {name} | {string.Join(" | ", figures.Select(value))} |");
        Row("trials (sleep_ms: 0), worker slots", f => $"{f.Trials:N0}, {f.Workers}");
        Row("journal alone, Persist per message", f => $"{f.JournalPersistPerSecond:N0} events/s");
        Row("journal alone, PersistAsync per message (batched)", f => $"{f.JournalBatchedPerSecond:N0} events/s");
        Row("sweep, submission to last result journalled", f => $"{f.SweepSeconds:F2} s");
        Row("**trials/s end to end**", f => $"**{f.TrialsPerSecond:N0}**");
        Row("overhead per trial (wall time / trials)", f => $"{f.OverheadMsPerTrial:F3} ms");
        Row("trials/s against half the batched journal rate", f => $"{f.TrialsPerSecond / (f.JournalBatchedPerSecond / 2):F2}");
        Row("results table complete, after submission", f => $"{f.ProjectionSeconds:F2} s");
        Row("resident memory before submission, at 10% / 50% of trials, all projected", f => Memory(f, m => m.ResidentMb));
        Row("managed heap (after a full GC), same points", f => Memory(f, m => m.ManagedMb));
    }

    /// <summary>Before submission, the samples nearest to 10% and 50% of the trials, and the last (every result in the table).</summary>
    static string Memory(SchedulingFigures f, Func<SweepMemory, double> value)
    {
        var nearest = new[] { 0.1, 0.5 }.Select(x => f.Memory.Skip(1).MinBy(m => Math.Abs(m.Completed - x * f.Trials))!);
        return string.Join(" / ", new[] { f.Memory[0] }.Concat(nearest).Append(f.Memory[^1]).Select(m => value(m).ToString("F0"))) + " MB";
    }
}
