using System.CommandLine;
using Spectre.Console;
using SweepCluster.Cluster.Client;
using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Storage;
using SweepCluster.Sweeps;
using SweepCluster.Training.Data;

namespace SweepCluster.Cli.Commands;

/// <summary>
/// <c>sweep run</c>: embedded mode. Starts a one-node cluster in this process (coordinator and
/// local workers, SQLite file in the working directory), runs the sweep with live progress and
/// prints the per-cell table. Interrupted, it hands back running trials; run again, it resumes.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "Sweep spec (YAML, see docs/spec.md)" };
        var database = new Option<string>("--database") { Description = "SQLite file of the journal and results", DefaultValueFactory = _ => "sweep.db" };
        var devices = new DeviceOptions(fromSettings: false);
        var port = new Option<int>("--port") { Description = "Loopback port, so `sweep watch` can follow from another terminal (0: any)", DefaultValueFactory = _ => 4053 };
        var force = new Option<bool>("--force") { Description = "Run every trial again, even those with a recorded result" };
        var dataRoots = DataRootOption.Create();
        var command = new Command("run", "Run a sweep on this machine (embedded cluster, SQLite file) and print the per-cell table")
        {
            spec, database, port, force, dataRoots,
        };
        devices.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var file = parse.GetValue(spec)!;
            string yaml;
            NodeSettings settings;
            try
            {
                settings = devices.Apply(parse, new NodeSettings
                {
                    Hostname = "127.0.0.1",
                    Port = parse.GetValue(port),
                    DatabaseProvider = "sqlite",
                    DatabaseConnection = parse.GetValue(database)!,
                    DownAfterSeconds = 2,
                    DataRoots = string.Join(Path.PathSeparator, DataRootOption.Resolve(parse.GetValue(dataRoots), file.FullName).Folders),
                }).Validate();
                yaml = await File.ReadAllTextAsync(file.FullName, cancellation);
                SweepPlanner.Plan(yaml, file.FullName, settings.SpecOptions()); // refuse a bad spec before starting anything
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or SpecException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            await using var node = await SweepNode.StartAsync(settings, new DatasetCatalog(settings.DataSettings()), "ERROR", CancellationToken.None);
            await using var client = SweepClient.Local(node);
            var reply = await client.AskAsync<ISweepMessage>(new SubmitSweep(yaml, file.FullName, parse.GetValue(force)));
            if (reply is SweepRejected rejected)
            {
                Console.Error.WriteLine($"error: {rejected.Reason}");
                return 2;
            }
            var accepted = (SweepAccepted)reply;
            AnsiConsole.MarkupLine($"sweep [bold]{accepted.SweepId}[/]: {accepted.Trials} trials, {accepted.AlreadyCompleted} already completed, " +
                                   $"{accepted.Trials - accepted.AlreadyCompleted} to run (database {Markup.Escape(settings.Database().ToString())})");

            var status = await SweepProgress.FollowAsync(client, accepted.SweepId, cancellation);
            if (status.Summary!.State == SweepState.Running)
            {
                AnsiConsole.MarkupLine("[yellow]stopped[/]: running trials are handed back; run the same command again to resume.");
                return 130;
            }
            var store = new ResultsStore(settings.Database());
            // The results table follows the journal by up to a second.
            for (var i = 0; i < 50 && await store.CountBySweepAsync(accepted.SweepId, CancellationToken.None) < status.Summary.Completed; i++)
                await Task.Delay(200, CancellationToken.None);
            var rows = await store.QueryAsync(new ResultQuery { SweepId = accepted.SweepId }, CancellationToken.None);
            AnsiConsole.Write(SweepView.Cells(rows, status.Cells));
            return status.Summary.Failed > 0 ? 1 : 0;
        });
        return command;
    }
}
