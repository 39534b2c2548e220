using System.Diagnostics;
using SweepCluster.Cluster.Client;
using SweepCluster.Cluster.Protocol;

namespace SweepCluster.Cli.Tests;

/// <summary>Runs the built <c>sweep</c> program as a separate process, as a user would, and follows the sweeps it submits.</summary>
public static class Sweep
{
    public static readonly string RepositoryRoot = FindRoot();

    public sealed record Output(int ExitCode, string Stdout, string Stderr);

    /// <summary>The built sweep.dll of the same configuration as these tests (bin/&lt;Configuration&gt;/net10.0/).</summary>
    public static readonly string ProgramPath = Path.Combine(RepositoryRoot, "src", "SweepCluster.Cli", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "sweep.dll");

    public static async Task<Output> Run(params string[] args) => await RunIn(null, args);

    /// <summary>Runs sweep with <paramref name="workingDirectory"/> as its current folder.</summary>
    public static Task<Output> RunIn(string? workingDirectory, params string[] args) => RunWith(workingDirectory, null, args);

    /// <summary>Runs sweep with these environment variables added to the test's, such as SWEEP_TLS_* settings.</summary>
    public static async Task<Output> RunWith(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var sweep = Start(workingDirectory, environment, args);
        return await sweep.WaitForExit(TimeSpan.FromMinutes(5));
    }

    /// <summary>Starts sweep and returns while it runs, for a test that acts on it (kills it, signals it) before it ends.</summary>
    /// <param name="launcher">A command that starts dotnet, with its arguments, such as <c>env --default-signal=INT</c>.</param>
    public static Started Start(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, IReadOnlyList<string> args,
        IReadOnlyList<string>? launcher = null)
    {
        string[] command = [.. launcher ?? [], "dotnet", ProgramPath, .. args];
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        foreach (var a in command.Skip(1)) start.ArgumentList.Add(a);
        return new Started(Process.Start(start)!);
    }

    /// <summary>A running sweep process whose output is read as it comes, so that a full pipe never blocks it.</summary>
    public sealed class Started(Process process) : IDisposable
    {
        readonly Task<string> _stdout = process.StandardOutput.ReadToEndAsync();
        readonly Task<string> _stderr = process.StandardError.ReadToEndAsync();

        public Process Process => process;

        /// <summary>Waits until the process exits (cancelled after <paramref name="patience"/>) and returns what it wrote.</summary>
        public async Task<Output> WaitForExit(TimeSpan patience)
        {
            using var timeout = new CancellationTokenSource(patience);
            await process.WaitForExitAsync(timeout.Token);
            return new Output(process.ExitCode, await _stdout, await _stderr);
        }

        public void Dispose() => process.Dispose();
    }

    /// <summary>Submits <paramref name="spec"/> with `sweep submit` to the cluster at <paramref name="contact"/>, and returns the sweep's id.</summary>
    public static async Task<string> Submit(string spec, string contact)
    {
        var run = await Run("submit", spec, "--cluster", contact);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return SweepId(run);
    }

    /// <summary>The sweep id `sweep submit` printed: "sweep &lt;id&gt;: N trials, ..." is the line to read; anything else is log output.</summary>
    public static string SweepId(Output submit)
    {
        var line = submit.Stdout.Split('\n').First(l => l.StartsWith("sweep ", StringComparison.Ordinal));
        return line["sweep ".Length..line.IndexOf(':')];
    }

    /// <summary>
    /// Polls the sweep's status through <paramref name="client"/> until <paramref name="condition"/> holds, for up to
    /// <paramref name="seconds"/>; an unanswered ask is retried, as the coordinator may be moving or restarting.
    /// </summary>
    public static async Task<SweepStatusReply> WaitForStatus(SweepClient client, string sweepId, Func<SweepStatusReply, bool> condition, int seconds = 120)
    {
        for (var i = 0; i < seconds * 5; i++)
        {
            try
            {
                var status = await client.AskAsync<SweepStatusReply>(new GetSweepStatus(sweepId), TimeSpan.FromSeconds(5));
                if (status.Summary is not null && condition(status)) return status;
            }
            catch (Exception e) when (e is TimeoutException or Akka.Actor.AskTimeoutException)
            {
                // the coordinator is moving or restarting
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"sweep {sweepId} did not reach the expected state in {seconds} s");
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SweepCluster.sln"))) return dir.FullName;
        throw new InvalidOperationException("SweepCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
