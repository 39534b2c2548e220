using System.CommandLine;
using System.Diagnostics;
using Akka.Actor;
using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Storage;
using SweepCluster.Training.Data;

namespace SweepCluster.Cli.Benchmarks;

/// <summary>What recovering a half-finished sweep cost.</summary>
/// <param name="CoordinatorSeconds">From creating the coordinator to its first trial handed to a waiting worker.</param>
/// <param name="NodeSeconds">From starting a whole node (cluster, singleton, workers) to its first new result journalled.</param>
public sealed record RecoveryFigures(string Database, int Trials, int Completed, double CoordinatorSeconds, double NodeSeconds);

/// <summary>
/// Recovery of a sweep of N trials, half completed. The journal is made the way a real one is:
/// a node runs a sweep of the first N/2 seeds to completion, then a coordinator-only node (no
/// workers, so nothing more runs) accepts the sweep of all N seeds, which reuses those results.
/// Then the coordinator is recovered twice: alone, in a node without the coordinator role,
/// timed to the first trial it hands to a waiting worker; and as a whole node restart, timed to
/// the first new result.
/// </summary>
public static class RecoveryBenchmark
{
    /// <summary><c>sweep bench recovery</c>.</summary>
    public static Command CreateCommand()
    {
        var trials = new Option<int>("--trials") { Description = "Trials of the sweep; half are completed before the restart", DefaultValueFactory = _ => 100_000 };
        var databases = new Option<string>("--database") { Description = "sqlite, postgresql, or both (comma-separated)", DefaultValueFactory = _ => "sqlite,postgresql" };
        var postgres = new Option<string>("--postgres") { Description = "PostgreSQL connection string (a fresh schema is made and dropped)", DefaultValueFactory = _ => BenchDatabase.DefaultPostgres };
        var command = new Command("recovery", "Time for the coordinator to recover a half-completed sweep and dispatch again") { trials, databases, postgres };
        command.SetAction(async (parse, cancellation) =>
        {
            var figures = new List<RecoveryFigures>();
            foreach (var provider in parse.GetValue(databases)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                await using var database = await BenchDatabase.CreateAsync(provider, parse.GetValue(postgres)!);
                figures.Add(await RunAsync(database.Settings, parse.GetValue(trials), Console.Error.WriteLine, cancellation));
            }
            Console.WriteLine($"| figure | {string.Join(" | ", figures.Select(f => f.Database))} |");
            Console.WriteLine($"|---|{string.Concat(figures.Select(_ => "---:|"))}");
            void Row(string name, Func<RecoveryFigures, string> value) => Console.WriteLine($"| {name} | {string.Join(" | ", figures.Select(value))} |");
            Row("trials in the sweep, completed before the restart", f => $"{f.Trials:N0}, {f.Completed:N0}");
            Row("**coordinator: recovery to first dispatch**", f => $"**{f.CoordinatorSeconds:F2} s**");
            Row("whole node restart: start to first new result", f => $"{f.NodeSeconds:F2} s");
            return 0;
        });
        return command;
    }

    static string Spec(int seeds) => $"name: recovery\nkind: sleep\nsleep_ms: 0\narms: [true]\nseeds: {seeds}\n";

    public static async Task<RecoveryFigures> RunAsync(DatabaseSettings database, int trials, Action<string> log, CancellationToken cancellation)
    {
        var settings = new NodeSettings
        {
            Port = 0,
            DatabaseProvider = database.ProviderName,
            DatabaseConnection = database.ConnectionString,
            Devices = "cpu:16",
            ThreadsPerSlot = 1,
            DownAfterSeconds = 2,
        };
        var catalog = new DatasetCatalog(settings.DataSettings());
        await using (var node = await SweepNode.StartAsync(settings, catalog, "WARNING", cancellation))
        {
            var half = await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(Spec(trials / 2), "bench", false), TimeSpan.FromMinutes(2));
            await WaitAsync(node.Coordinator, half.SweepId, s => s.State != SweepState.Running, cancellation);
            log($"{database.ProviderName}: {trials / 2:N0} trials completed");
        }
        string sweepId;
        int completed;
        await using (var node = await SweepNode.StartAsync(settings with { Roles = NodeSettings.CoordinatorRole }, catalog, "WARNING", cancellation))
        {
            var whole = await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(Spec(trials), "bench", false), TimeSpan.FromMinutes(5));
            (sweepId, completed) = (whole.SweepId, whole.AlreadyCompleted);
            log($"{database.ProviderName}: sweep of {trials:N0} accepted, {completed:N0} already completed");
        }

        double coordinatorSeconds;
        // A node without the coordinator role: its actor system has the journal, and no singleton competes for it.
        await using (var host = await SweepNode.StartAsync(settings with { Roles = NodeSettings.WorkerRole, Devices = "cpu:1" }, catalog, "WARNING", cancellation))
        {
            var clock = Stopwatch.StartNew();
            var coordinator = host.System.ActorOf(SweepCoordinator.Props(new CoordinatorSettings(TimeSpan.FromMinutes(1), settings.SpecOptions())));
            // Asked before recovery ends, answered after: the time to recover and dispatch again.
            var assigned = (await coordinator.Ask<AssignTrials>(new RequestWork("bench"), TimeSpan.FromMinutes(5))).Trials[0];
            coordinatorSeconds = clock.Elapsed.TotalSeconds;
            log($"{database.ProviderName}: coordinator recovered and dispatched trial {assigned.Trial.TrialId[..12]} after {coordinatorSeconds:F2} s");
            await coordinator.GracefulStop(TimeSpan.FromSeconds(30));
        }

        var restart = Stopwatch.StartNew();
        double nodeSeconds;
        await using (var node = await SweepNode.StartAsync(settings, catalog, "WARNING", cancellation))
        {
            await WaitAsync(node.Coordinator, sweepId, s => s.Completed > completed, cancellation);
            nodeSeconds = restart.Elapsed.TotalSeconds;
            log($"{database.ProviderName}: node restarted, first new result after {nodeSeconds:F2} s");
        }
        return new RecoveryFigures(database.ProviderName, trials, completed, coordinatorSeconds, nodeSeconds);
    }

    static async Task WaitAsync(IActorRef coordinator, string sweepId, Func<SweepSummary, bool> done, CancellationToken cancellation)
    {
        while (true)
        {
            var status = await coordinator.Ask<SweepStatusReply>(new GetSweepStatus(sweepId), TimeSpan.FromMinutes(2));
            if (status.Summary is { } summary && done(summary)) return;
            await Task.Delay(20, cancellation);
        }
    }
}
