using System.CommandLine;
using Spectre.Console;
using SweepCluster.Cluster.Protocol;

namespace SweepCluster.Cli.Commands;

/// <summary><c>sweep list</c>, <c>sweep status</c>, <c>sweep watch</c> and <c>sweep cancel</c>: questions and orders for a running coordinator.</summary>
public static class StatusCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return List();
        yield return WithSweep("status", "Show a sweep's progress once", async (client, id, _) =>
        {
            var status = await client.AskAsync<SweepStatusReply>(new GetSweepStatus(id));
            if (status.Summary is null) throw new ArgumentException($"no sweep '{id}' (sweep list shows the sweeps)");
            AnsiConsole.Write(SweepView.Progress(status));
        });
        yield return WithSweep("watch", "Follow a sweep live: overall, per cell, the workers and the ETA", async (client, id, cancellation) =>
            await SweepProgress.FollowAsync(client, id, cancellation));
        yield return WithSweep("cancel", "Cancel a sweep: nothing more is dispatched and its running trials stop", async (client, id, _) =>
        {
            var status = await client.AskAsync<SweepStatusReply>(new CancelSweep(id));
            if (status.Summary is null) throw new ArgumentException($"no sweep '{id}' (sweep list shows the sweeps)");
            AnsiConsole.MarkupLine($"sweep [bold]{Markup.Escape(id)}[/] is {status.Summary.State.ToString().ToLowerInvariant()}");
        });
    }

    static Command List()
    {
        var connection = new ClusterConnection();
        var command = new Command("list", "List the sweeps and their state");
        connection.AddTo(command);
        command.SetAction((parse, cancellation) => connection.RunAsync(parse, cancellation, async client =>
        {
            var list = await client.AskAsync<SweepList>(ListSweeps.Instance);
            var table = new Table().Border(TableBorder.Rounded).AddColumns("sweep", "state", "trials", "completed", "failed", "running", "submitted");
            foreach (var s in list.Sweeps)
                table.AddRow(Markup.Escape(s.SweepId), s.State.ToString().ToLowerInvariant(), s.Trials.ToString(), s.Completed.ToString(),
                    s.Failed.ToString(), s.Running.ToString(), s.SubmittedAt.ToString("u"));
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    static Command WithSweep(string name, string description, Func<Cluster.Client.SweepClient, string, CancellationToken, Task> act)
    {
        var sweep = new Argument<string>("sweep") { Description = "Sweep id, as `sweep list` shows it" };
        var connection = new ClusterConnection();
        var command = new Command(name, description) { sweep };
        connection.AddTo(command);
        command.SetAction((parse, cancellation) => connection.RunAsync(parse, cancellation, async client =>
        {
            try
            {
                await act(client, parse.GetValue(sweep)!, cancellation);
                return 0;
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        }));
        return command;
    }
}
