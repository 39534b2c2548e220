using Spectre.Console;
using SweepCluster.Cluster.Client;
using SweepCluster.Cluster.Protocol;

namespace SweepCluster.Cli.Commands;

/// <summary>Polls a sweep's status and shows it live until the sweep finishes or the user stops watching.</summary>
public static class SweepProgress
{
    public static async Task<SweepStatusReply> FollowAsync(SweepClient client, string sweepId, CancellationToken cancellation)
    {
        var status = await client.AskAsync<SweepStatusReply>(new GetSweepStatus(sweepId));
        if (status.Summary is null) throw new ArgumentException($"no sweep '{sweepId}' (sweep list shows the sweeps)");
        await AnsiConsole.Live(SweepView.Progress(status)).StartAsync(async live =>
        {
            while (status.Summary!.State == SweepState.Running && !cancellation.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(500, cancellation);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                status = await client.AskAsync<SweepStatusReply>(new GetSweepStatus(sweepId));
                live.UpdateTarget(SweepView.Progress(status));
            }
        });
        return status;
    }
}
