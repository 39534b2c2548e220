using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using SweepCluster.Cluster.Client;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Cluster.Tests;
using SweepCluster.Storage;
using SweepCluster.Storage.Tests;
using Xunit.Abstractions;

namespace SweepCluster.Cli.Tests;

/// <summary>
/// The fault suite: a coordinator node and two worker nodes (real processes) on PostgreSQL run a
/// sweep of short trials while faults are injected: random SIGKILLs of workers and of the
/// coordinator with restarts, a PostgreSQL restart, and a worker cut off the network (a network
/// namespace standing in for another host) and restored. After each scenario: every trial
/// completed exactly once in the journal, the results table agrees with the journal, the sweep
/// finished, and every node answers. CI runs it at reduced size; docs/reliability.md gives the
/// full-size command (SWEEP_FAULT_TRIALS, SWEEP_FAULT_KILLS) and the figures of a run. Each test
/// runs its own PostgreSQL server, so restarting it disturbs no other test running alongside.
/// </summary>
public sealed class FaultSuiteTests(ITestOutputHelper output) : IAsyncLifetime
{
    static readonly int Trials = Setting("SWEEP_FAULT_TRIALS", 120);
    static readonly int Kills = Setting("SWEEP_FAULT_KILLS", 6);
    const int SleepMs = 500;

    readonly string _folder = Directory.CreateTempSubdirectory("sweep-faults-").FullName;
    readonly List<NodeProcess> _nodes = [];
    PrivatePostgres _server = null!;
    TestDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _server = PrivatePostgres.Start();
        _db = await TestDatabase.CreatePostgresAsync(_server.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) node.Dispose();
        await _db.DisposeAsync();
        _server.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), CultureInfo.InvariantCulture, out var value) ? value : fallback;

    [Fact]
    public async Task Random_sigkills_of_workers_and_the_coordinator_lose_and_duplicate_nothing()
    {
        var cluster = await StartCluster("127.0.0.1", "127.0.0.1");
        var sweepId = await Submit(cluster.Contact);
        var random = new Random(20261128);
        var resumes = new List<double>();
        var kills = 0;
        for (; kills < Kills; kills++)
        {
            var progress = await Completed(cluster.Contact, sweepId);
            if (progress >= Trials) break;
            await WaitForCompleted(cluster.Contact, sweepId, progress + 2);
            var victim = random.Next(3);
            var node = cluster.Nodes[victim];
            node.Kill();
            await Task.Delay(random.Next(200, 1500));
            cluster.Nodes[victim] = Restart(node, victim == 0 ? "coordinator" : "worker", cluster.Seeds);
            await cluster.Nodes[victim].WaitUntilUp();
            if (victim == 0) resumes.Add(await SecondsUntilProgress(cluster.Contact, sweepId));
            output.WriteLine($"kill {kills + 1}: {(victim == 0 ? "coordinator" : $"worker {victim}")} at {progress} completed");
        }

        var audit = await Audit(cluster, sweepId);
        Report("random SIGKILLs", audit, $"{kills} kills survived; coordinator resumed dispatching after " +
               (resumes.Count == 0 ? "(not killed)" : string.Join(", ", resumes.Select(s => s.ToString("F1", CultureInfo.InvariantCulture) + " s"))));
        Assert.True(kills > 0, "no kill happened before the sweep finished: make the sweep longer");
    }

    [Fact]
    public async Task A_postgresql_restart_mid_sweep_loses_and_duplicates_nothing()
    {
        var cluster = await StartCluster("127.0.0.1", "127.0.0.1");
        var sweepId = await Submit(cluster.Contact);
        await WaitForCompleted(cluster.Contact, sweepId, Trials / 4);
        var clock = Stopwatch.StartNew();
        _server.Restart();
        var outage = clock.Elapsed.TotalSeconds;
        var resume = await SecondsUntilProgress(cluster.Contact, sweepId);
        var audit = await Audit(cluster, sweepId);
        Report("PostgreSQL restart", audit, $"restart took {outage:F1} s; results recorded again {resume:F1} s after it");
    }

    [Fact]
    public async Task A_worker_cut_off_the_network_and_restored_loses_and_duplicates_nothing()
    {
        await using var network = await IsolatedHost.CreateAsync();
        var cluster = await StartCluster(IsolatedHost.HostAddress, IsolatedHost.GuestAddress, IsolatedHost.Namespace);
        var sweepId = await Submit(cluster.Contact);
        await WaitForCompleted(cluster.Contact, sweepId, Trials / 4);
        await WaitUntil(() => cluster.Nodes[2].TrialsRun().Any(), "the isolated worker never ran a trial");

        network.Cut();
        // Longer than the split-brain resolver's stable-after (2 s): the isolated side is downed.
        await Task.Delay(TimeSpan.FromSeconds(8));
        network.Restore();
        // The downed worker's actor system stops and the process exits; its replacement joins, as a pod would restart.
        await cluster.Nodes[2].WaitForExit(TimeSpan.FromSeconds(60));
        cluster.Nodes[2] = Restart(cluster.Nodes[2], "worker", cluster.Seeds);
        await cluster.Nodes[2].WaitUntilUp();

        var audit = await Audit(cluster, sweepId);
        Report("network cut", audit, "one worker isolated for 8 s, downed, restarted and rejoined");
    }

    // ---- the cluster ----

    sealed record Cluster(List<NodeProcess> Nodes, string Seeds)
    {
        public string Contact => Nodes[0].Address;
    }

    /// <summary>A coordinator node and a worker on the host; a second worker on <paramref name="isolatedHostname"/>, in the namespace if given.</summary>
    async Task<Cluster> StartCluster(string hostname, string isolatedHostname, string? networkNamespace = null)
    {
        var ports = new[] { NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort() };
        var seeds = $"akka.tcp://sweep@{hostname}:{ports[0]}";
        var nodes = new List<NodeProcess>
        {
            Start(ports[0], "coordinator", seeds, hostname),
            Start(ports[1], "worker", seeds, hostname),
            Start(ports[2], "worker", seeds, isolatedHostname, networkNamespace),
        };
        foreach (var node in nodes) await node.WaitUntilUp();
        return new Cluster(nodes, seeds);
    }

    NodeProcess Start(int port, string roles, string seeds, string hostname, string? networkNamespace = null)
    {
        var settings = new Dictionary<string, string> { ["SWEEP_LEASE_SECONDS"] = "10" };
        // Workers keep nothing in the database. The isolated one cannot reach PostgreSQL on the
        // host's loopback, so it opens a SQLite file of its own (in its working folder) instead.
        if (networkNamespace is null)
        {
            settings["SWEEP_DATABASE_PROVIDER"] = "postgresql";
            settings["SWEEP_DATABASE_CONNECTION"] = _db.Settings.ConnectionString;
        }
        var node = NodeProcess.Start(port, roles, seeds, Path.Combine(_folder, $"node-{port}.db"), settings, hostname, networkNamespace);
        _nodes.Add(node);
        return node;
    }

    NodeProcess Restart(NodeProcess old, string roles, string seeds) =>
        Start(old.Port, roles, seeds, old.Hostname, old.Hostname == IsolatedHost.GuestAddress ? IsolatedHost.Namespace : null);

    async Task<string> Submit(string contact)
    {
        var spec = Path.Combine(_folder, "faults.yaml");
        await File.WriteAllTextAsync(spec, $"name: faults\nkind: sleep\nsleep_ms: {SleepMs}\narms: [true, head-only]\nseeds: {Trials / 2}\n");
        var run = await Sweep.Run("submit", spec, "--cluster", contact);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var line = run.Stdout.Split('\n').First(l => l.StartsWith("sweep ", StringComparison.Ordinal));
        return line["sweep ".Length..line.IndexOf(':')];
    }

    // ---- watching ----

    /// <summary>The sweep's completed count, asking through a fresh client each time so a restarted coordinator is found.</summary>
    static async Task<int> Completed(string contact, string sweepId)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var client = await SweepClient.ConnectAsync(contact);
                var status = await client.AskAsync<SweepStatusReply>(new GetSweepStatus(sweepId), TimeSpan.FromSeconds(5));
                if (status.Summary is not null) return status.Summary.Completed;
            }
            catch (Exception e) when (e is TimeoutException or Akka.Actor.AskTimeoutException && attempt < 60)
            {
                // the coordinator is restarting or moving
            }
            await Task.Delay(500);
        }
    }

    static async Task WaitForCompleted(string contact, string sweepId, int target)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (await Completed(contact, sweepId) < Math.Min(target, Trials))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"sweep {sweepId} did not reach {target} completed trials");
            await Task.Delay(300);
        }
    }

    /// <summary>Seconds until the completed count moves again: how long the cluster took to resume.</summary>
    static async Task<double> SecondsUntilProgress(string contact, string sweepId)
    {
        var clock = Stopwatch.StartNew();
        var start = await Completed(contact, sweepId);
        if (start >= Trials) return 0;
        await WaitForCompleted(contact, sweepId, start + 1);
        return clock.Elapsed.TotalSeconds;
    }

    static async Task WaitUntil(Func<bool> condition, string failure)
    {
        for (var i = 0; i < 600 && !condition(); i++) await Task.Delay(100);
        Assert.True(condition(), failure);
    }

    // ---- the checks ----

    sealed record Findings(int Completed, int Lost, int Duplicates);

    /// <summary>Waits for the sweep to finish, then checks it against the journal and the results table.</summary>
    async Task<Findings> Audit(Cluster cluster, string sweepId)
    {
        await WaitForCompleted(cluster.Contact, sweepId, Trials);
        var journal = await JournalCompletions();
        var rows = new List<ResultRow>();
        for (var i = 0; i < 100 && (rows = [.. await _db.Store.QueryAsync(new ResultQuery { SweepId = sweepId })]).Count < Trials; i++)
            await Task.Delay(200);

        var findings = new Findings(journal.Select(c => c.TrialId).Distinct().Count(),
            Trials - journal.Select(c => c.TrialId).Distinct().Count(), journal.Count - journal.Select(c => c.TrialId).Distinct().Count());
        Assert.Equal(new Findings(Trials, 0, 0), findings);
        // The table holds exactly the journal's results: same trials, same numbers.
        Assert.Equal(journal.OrderBy(c => c.TrialId).Select(c => (c.TrialId, c.TestAccuracy)),
            rows.OrderBy(r => r.TrialId).Select(r => (r.TrialId, r.TestAccuracy)));

        // Every node answers: the client reaches the coordinator, and each node process is alive and a member.
        var list = await Sweep.Run("list", "--cluster", cluster.Contact);
        Assert.True(list.ExitCode == 0, list.Stdout + list.Stderr);
        Assert.Contains(sweepId, list.Stdout);
        Assert.All(cluster.Nodes, n => Assert.False(n.HasExited, $"node {n.Address} exited:\n{string.Join('\n', n.Lines.TakeLast(20))}"));
        await using var client = await SweepClient.ConnectAsync(cluster.Contact);
        var status = await client.AskAsync<SweepStatusReply>(new GetSweepStatus(sweepId), TimeSpan.FromSeconds(10));
        Assert.Equal((SweepState.Completed, Trials, 0), (status.Summary!.State, status.Summary.Completed, status.Summary.Failed));
        return findings;
    }

    /// <summary>Every TrialCompleted event in the coordinator's journal: (trial id, test accuracy).</summary>
    async Task<List<(string TrialId, double TestAccuracy)>> JournalCompletions()
    {
        await using var connection = new NpgsqlConnection(_db.Settings.ConnectionString);
        await connection.OpenAsync();
        return (await Journal.CompletionsAsync(connection)).Select(c => (c.TrialId, c.TestAccuracy)).ToList();
    }

    void Report(string scenario, Findings findings, string detail) =>
        output.WriteLine($"fault suite, {scenario}: {Trials} trials, {findings.Completed} completed once, {findings.Lost} lost, " +
                         $"{findings.Duplicates} duplicates; {detail}");

    static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}");
        return stdout;
    }

    /// <summary>Runs a command that leaves a daemon behind: its output is not captured, since the daemon would hold the pipes open.</summary>
    static void RunDetached(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = false, RedirectStandardError = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode})");
    }

    /// <summary>
    /// A PostgreSQL server of the test's own, on a free loopback port with its data in a temp
    /// folder, made with the installed server's initdb and pg_ctl (run as the postgres user, which
    /// the server requires); trust authentication, as nothing but this test can reach it.
    /// </summary>
    sealed class PrivatePostgres : IDisposable
    {
        readonly string _bin;
        readonly string _data;

        PrivatePostgres(string bin, string data, int port)
        {
            _bin = bin;
            _data = data;
            ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
        }

        public string ConnectionString { get; }

        public static PrivatePostgres Start()
        {
            var bin = Directory.EnumerateDirectories("/usr/lib/postgresql").OrderBy(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture))
                .Select(d => Path.Combine(d, "bin")).Last(d => File.Exists(Path.Combine(d, "initdb")));
            var data = Directory.CreateTempSubdirectory("sweep-faults-pg-").FullName;
            Run("chown", "postgres:postgres", data);
            var server = new PrivatePostgres(bin, data, NodeProcess.FreePort());
            server.AsPostgres("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync");
            server.AsPostgres("pg_ctl", "-D", data, "-w", "-l", Path.Combine(data, "server.log"), "-o",
                $"-p {new NpgsqlConnectionStringBuilder(server.ConnectionString).Port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
            return server;
        }

        public void Restart()
        {
            AsPostgres("pg_ctl", "-D", _data, "-w", "-m", "fast", "restart");
            // This process's pooled connections died with the server; the nodes' pools recover on their own.
            NpgsqlConnection.ClearAllPools();
        }

        // pg_ctl start and restart leave the server running, so their output is not captured.
        void AsPostgres(string program, params string[] args) => RunDetached("runuser", ["-u", "postgres", "--", Path.Combine(_bin, program), .. args]);

        public void Dispose()
        {
            NpgsqlConnection.ClearAllPools();
            try { AsPostgres("pg_ctl", "-D", _data, "-w", "-m", "immediate", "stop"); } catch (InvalidOperationException) { /* not running */ }
            Directory.Delete(_data, recursive: true);
        }
    }

    /// <summary>
    /// A network namespace joined to the host by a veth pair: a second "host" on this machine.
    /// Taking the host's end down cuts it off; bringing it up restores it.
    /// </summary>
    sealed class IsolatedHost : IAsyncDisposable
    {
        public const string Namespace = "sweepfault";
        public const string HostAddress = "10.231.7.1";
        public const string GuestAddress = "10.231.7.2";
        const string HostLink = "sweepfault0";
        const string GuestLink = "sweepfault1";

        public static Task<IsolatedHost> CreateAsync()
        {
            Delete(); // a run killed half-way may have left them
            Run("ip", "netns", "add", Namespace);
            Run("ip", "link", "add", HostLink, "type", "veth", "peer", "name", GuestLink);
            Run("ip", "link", "set", GuestLink, "netns", Namespace);
            Run("ip", "addr", "add", HostAddress + "/24", "dev", HostLink);
            Run("ip", "link", "set", HostLink, "up");
            Run("ip", "netns", "exec", Namespace, "ip", "addr", "add", GuestAddress + "/24", "dev", GuestLink);
            Run("ip", "netns", "exec", Namespace, "ip", "link", "set", GuestLink, "up");
            Run("ip", "netns", "exec", Namespace, "ip", "link", "set", "lo", "up");
            return Task.FromResult(new IsolatedHost());
        }

        public void Cut() => Run("ip", "link", "set", HostLink, "down");

        public void Restore() => Run("ip", "link", "set", HostLink, "up");

        static void Delete()
        {
            try { Run("ip", "link", "del", HostLink); } catch (InvalidOperationException) { /* not there */ }
            try { Run("ip", "netns", "del", Namespace); } catch (InvalidOperationException) { /* not there */ }
        }

        public ValueTask DisposeAsync()
        {
            Delete();
            return ValueTask.CompletedTask;
        }
    }
}
