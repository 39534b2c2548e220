using System.CommandLine;
using Spectre.Console;
using SweepCluster.Cluster.Protocol;

namespace SweepCluster.Cli.Commands;

/// <summary><c>sweep submit</c>: sends a spec to a running cluster through ClusterClient.</summary>
public static class SubmitCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "Sweep spec (YAML, see docs/spec.md)" };
        var connection = new ClusterConnection();
        var force = new Option<bool>("--force") { Description = "Run every trial again, even those with a recorded result" };
        var watch = new Option<bool>("--watch") { Description = "Follow the sweep's progress until it finishes" };
        var command = new Command("submit", "Submit a sweep to a running cluster") { spec, force, watch };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var file = parse.GetValue(spec)!;
            if (!file.Exists)
            {
                Console.Error.WriteLine($"error: {file.FullName}: no such file");
                return 2;
            }
            return await connection.RunAsync(parse, cancellation, async client =>
            {
                var reply = await client.AskAsync<ISweepMessage>(new SubmitSweep(await File.ReadAllTextAsync(file.FullName, cancellation), file.Name, parse.GetValue(force)));
                if (reply is SweepRejected rejected)
                {
                    Console.Error.WriteLine($"error: {rejected.Reason}");
                    return 2;
                }
                var accepted = (SweepAccepted)reply;
                AnsiConsole.MarkupLine($"sweep [bold]{accepted.SweepId}[/]: {accepted.Trials} trials, {accepted.AlreadyCompleted} already completed");
                if (parse.GetValue(watch)) await SweepProgress.FollowAsync(client, accepted.SweepId, cancellation);
                return 0;
            });
        });
        return command;
    }
}
