using System.Diagnostics;
using System.Globalization;
using System.Net;
using SweepCluster.Cluster.Tests;
using SweepCluster.Storage;

namespace SweepCluster.Cli.Tests;

/// <summary>`sweep run`, the embedded mode, as a user runs it: twice, and killed half-way.</summary>
public sealed class RunCommandTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("sweep-run-").FullName;

    /// <summary>The sweep.db that `sweep run` makes in the test's folder, its working folder.</summary>
    string Database => Path.Combine(_folder, "sweep.db");

    string Write(string name, string yaml)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task Running_the_same_spec_again_executes_zero_trials()
    {
        var spec = Write("sleepy.yaml", "name: sleepy\nkind: sleep\nsleep_ms: 20\narms: [true, noisy, random-frozen, head-only]\nseeds: 5\n");
        var first = await Sweep.RunIn(_folder, "run", spec, "--port", "0");
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        Assert.Contains("20 trials, 0 already completed, 20 to run", first.Stdout);
        Assert.Contains("noisy p=1", first.Stdout);

        var (journalled, stored) = (await Journal.CompletionsAsync(Database), await Stored());
        Assert.Equal((20, 20), (journalled.Count, stored.Count));

        var second = await Sweep.RunIn(_folder, "run", spec, "--port", "0");
        Assert.True(second.ExitCode == 0, second.Stdout + second.Stderr);
        Assert.Contains("20 trials, 20 already completed, 0 to run", second.Stdout);
        // Nothing ran: a trial run again would be journalled again, or at least restamp its stored result.
        Assert.Equal(journalled, await Journal.CompletionsAsync(Database));
        Assert.Equal(stored, await Stored());

        var csv = await Sweep.RunIn(_folder, "results", "sleepy-" + second.Stdout.Split("sleepy-")[1][..8], "--format", "csv");
        Assert.Equal(21, csv.Stdout.Trim().Split('\n').Length); // header + one row per trial
    }

    [Fact]
    public async Task Embedded_mode_listens_on_loopback_only()
    {
        var port = ListeningSockets.FreePort();
        var spec = Write("listen.yaml", "name: listen\nkind: sleep\nsleep_ms: 1500\narms: [true]\nseeds: 4\n");
        var run = Sweep.RunIn(_folder, "run", spec, "--port", port.ToString(CultureInfo.InvariantCulture), "--devices", "cpu:1");
        // Looked at while the sweep runs (about 6 s of trials): the socket goes when the run ends.
        List<IPAddress> listening = [];
        while (!run.IsCompleted && (listening = ListeningSockets.On(port)).Count == 0) await Task.Delay(50);
        var result = await run;

        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        Assert.NotEmpty(listening);
        Assert.All(listening, address => Assert.True(IPAddress.IsLoopback(address), $"listening on {address}"));
    }

    [Fact]
    public async Task A_bad_spec_is_refused_before_anything_starts()
    {
        var spec = Write("bad.yaml", "name: bad\narms: [true, arbitrary]\nseeds: 0\n");
        var run = await Sweep.RunIn(_folder, "run", spec, "--port", "0");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("arms[1] at line 2, column 14: expected one of true, noisy, random-frozen, head-only, got 'arbitrary'", run.Stderr);
        Assert.Contains("seeds at line 3, column 8: 0 is outside", run.Stderr);
        Assert.False(File.Exists(Database));
    }

    [Fact]
    public async Task A_run_killed_mid_sweep_resumes_without_rerunning_what_completed()
    {
        // Real training on 800 bundled images: 8 trials of a few seconds each.
        var spec = Write("resume.yaml", "name: resume\ndataset: {name: fashion-mnist-subset, train_limit: 800}\narms: [true, random-frozen]\nseeds: 4\n");
        var store = new ResultsStore(DatabaseSettings.Sqlite(Database));
        long before;
        using (var run = Sweep.Start(_folder, null, ["run", spec, "--port", "0"]))
        {
            for (var i = 0; i < 1200 && await Count(store) < 3; i++) await Task.Delay(100);
            run.Process.Kill(entireProcessTree: true); // SIGKILL: no chance to hand anything back
            await run.Process.WaitForExitAsync();
            before = await Count(store);
        }
        Assert.InRange(before, 3, 7);

        var rerun = await Sweep.RunIn(_folder, "run", spec, "--port", "0");
        Assert.True(rerun.ExitCode == 0, rerun.Stdout + rerun.Stderr);
        var completed = int.Parse(rerun.Stdout.Split(" already completed")[0].Split(", ")[^1]);
        Assert.True(completed >= before, $"{completed} reported completed, {before} were in the table");
        Assert.Contains($"{8 - completed} to run", rerun.Stdout);
        Assert.Equal(8, await Count(store));
    }

    [Fact]
    public async Task Ctrl_c_stops_a_run_cleanly_and_the_next_run_resumes_it()
    {
        var spec = Write("interrupted.yaml", "name: interrupted\nkind: sleep\nsleep_ms: 1500\narms: [true, noisy]\nseeds: 6\n");
        // Through env --default-signal: a test host started in the background may ignore SIGINT,
        // and a child would inherit that; a user's terminal never does.
        var store = new ResultsStore(DatabaseSettings.Sqlite(Database));
        Sweep.Output stopped;
        using (var run = Sweep.Start(_folder, null, ["run", spec, "--port", "0", "--devices", "cpu:2"], launcher: ["env", "--default-signal=INT"]))
        {
            for (var i = 0; i < 600 && await Count(store) < 2; i++) await Task.Delay(100);
            Process.Start("kill", ["-INT", run.Process.Id.ToString()])!.WaitForExit();
            stopped = await run.WaitForExit(TimeSpan.FromSeconds(60));
        }
        Assert.True(stopped.ExitCode == 130, $"exit code {stopped.ExitCode}\n{stopped.Stdout}\n{stopped.Stderr}");
        Assert.Contains("stopped: running trials are handed back; run the same command again to resume.", stopped.Stdout);
        Assert.DoesNotContain("Exception", stopped.Stdout + stopped.Stderr);
        Assert.DoesNotContain("   at ", stopped.Stdout + stopped.Stderr);
        var before = (await Journal.CompletionsAsync(Database)).Count;
        Assert.InRange(before, 2, 11);

        var rerun = await Sweep.RunIn(_folder, "run", spec, "--port", "0", "--devices", "cpu:2");
        Assert.True(rerun.ExitCode == 0, rerun.Stdout + rerun.Stderr);
        Assert.Contains($"12 trials, {before} already completed, {12 - before} to run", rerun.Stdout);
        var journalled = await Journal.CompletionsAsync(Database);
        Assert.Equal(12, journalled.Count);
        Assert.Equal(12, journalled.Select(c => c.TrialId).Distinct().Count());
    }

    /// <summary>Each stored result with when and where it ran.</summary>
    async Task<List<(string, DateTimeOffset, DateTimeOffset, string)>> Stored() =>
        (await new ResultsStore(DatabaseSettings.Sqlite(Database)).QueryAsync(new ResultQuery()))
        .Select(r => (r.TrialId, r.StartedAt, r.FinishedAt, r.Worker)).OrderBy(r => r.TrialId).ToList();

    static async Task<long> Count(ResultsStore store)
    {
        try
        {
            return (await store.QueryAsync(new ResultQuery())).Count;
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            return 0; // not created yet
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
