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
/// finished, and every node is an Up member of the cluster that the coordinator counts as a
/// worker. Each fault reports how long the cluster took to resume. CI runs it at reduced size;
/// docs/reliability.md gives the full-size command (SWEEP_FAULT_TRIALS, SWEEP_FAULT_KILLS) and
/// the figures of a run. Each test runs its own PostgreSQL server, so restarting it disturbs no
/// other test running alongside. It needs root: runuser (the server runs as postgres) and ip netns.
/// </summary>
public sealed class FaultSuiteTests(ITestOutputHelper output) : IAsyncLifetime
{
    // At CI size the sweep is long enough for every kill: each waits for the restarted node to be
    // a member again (about 15 s here), and the other worker keeps going meanwhile.
    static readonly int Trials = Setting("SWEEP_FAULT_TRIALS", 200);
    static readonly int Kills = Math.Max(1, Setting("SWEEP_FAULT_KILLS", 6));
    const int SleepMs = 500;

    readonly string _folder = Directory.CreateTempSubdirectory("sweep-faults-").FullName;
    readonly List<NodeProcess> _nodes = [];
    /// <summary>The port of each node's /ready, which says whether it is an Up member of the cluster.</summary>
    readonly Dictionary<NodeProcess, int> _healthPorts = [];
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
        KeepNodeLogs();
        await _db.DisposeAsync();
        _server.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>
    /// With SWEEP_FAULT_LOGS set to a folder, every node process's output is written there (one
    /// file per process, in start order), to see what a failing scenario's nodes were doing.
    /// </summary>
    void KeepNodeLogs()
    {
        var folder = Environment.GetEnvironmentVariable("SWEEP_FAULT_LOGS");
        if (string.IsNullOrEmpty(folder)) return;
        var scenario = Directory.CreateDirectory(Path.Combine(folder, Path.GetFileName(_folder))).FullName;
        for (var i = 0; i < _nodes.Count; i++)
            File.WriteAllLines(Path.Combine(scenario, $"{i:D2}-{_nodes[i].Hostname}-{_nodes[i].Port}.log"), _nodes[i].Lines);
    }

    static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), CultureInfo.InvariantCulture, out var value) ? value : fallback;

    [Fact]
    public async Task Random_sigkills_of_workers_and_the_coordinator_lose_and_duplicate_nothing()
    {
        var cluster = await StartCluster("127.0.0.1", "127.0.0.1");
        var sweepId = await Submit(cluster.Contact);
        var random = new Random(20261128);
        // Victims are a seeded random choice, except that the first kill is always of the
        // coordinator: with few kills, or a sweep that ends early, a random choice might never take it.
        var coordinatorResumes = new List<double?>();
        // A worker's return is timed while the next faults go on: it is back when it runs a trial again.
        using var sweepDone = new CancellationTokenSource();
        var workerResumes = new List<Task<double?>>();
        var kills = 0;
        for (; kills < Kills; kills++)
        {
            var progress = await Completed(cluster.Contact, sweepId);
            if (progress >= Trials) break;
            await WaitForCompleted(cluster.Contact, sweepId, progress + 2);
            var victim = kills == 0 ? 0 : random.Next(3);
            var name = victim == 0 ? "coordinator" : $"worker {victim}";
            var node = cluster.Nodes[victim];
            node.Kill();
            await Task.Delay(random.Next(200, 1500));
            var restarted = Stopwatch.StartNew();
            cluster.Nodes[victim] = Restart(node, victim == 0 ? "coordinator" : "worker", cluster.Seeds);
            // The coordinator is back when results are recorded again; until then nothing moves.
            if (victim == 0) coordinatorResumes.Add(await SecondsUntilProgress(cluster.Contact, sweepId, restarted));
            else workerResumes.Add(SecondsUntilRunning(cluster.Nodes[victim], restarted, sweepDone.Token));
            await WaitUntilMember(cluster.Nodes[victim]);
            output.WriteLine($"kill {kills + 1}: {name} at {progress} completed");
        }

        var audit = await Audit(cluster, sweepId);
        await sweepDone.CancelAsync();
        var workerSeconds = await Task.WhenAll(workerResumes);
        Report("random SIGKILLs", audit,
            $"{kills} kills survived ({coordinatorResumes.Count} of the coordinator, {workerSeconds.Length} of workers); " +
            $"from the restart, results recorded again after {string.Join(", ", coordinatorResumes.Select(Seconds))} (coordinator), " +
            $"the worker running a trial again after {(workerSeconds.Length == 0 ? "-" : string.Join(", ", workerSeconds.Select(Seconds)))}");
        Assert.NotEmpty(coordinatorResumes);
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
        var resume = await SecondsUntilProgress(cluster.Contact, sweepId, Stopwatch.StartNew());
        var audit = await Audit(cluster, sweepId);
        Report("PostgreSQL restart", audit, $"restart took {outage:F1} s; results recorded again {Seconds(resume)} after it");
    }

    [Fact]
    public async Task A_worker_cut_off_the_network_and_restored_loses_and_duplicates_nothing()
    {
        await using var network = await IsolatedHost.CreateAsync();
        var cluster = await StartCluster(IsolatedHost.HostAddress, IsolatedHost.GuestAddress, IsolatedHost.Namespace);
        var sweepId = await Submit(cluster.Contact);
        await WaitForCompleted(cluster.Contact, sweepId, Trials / 4);
        await Wait.Until(() => cluster.Nodes[2].TrialsRun().Any(), "the isolated worker never ran a trial");

        network.Cut();
        var cutAt = await Completed(cluster.Contact, sweepId);
        // Longer than the split-brain resolver's stable-after (2 s): the isolated side is downed.
        await Task.Delay(TimeSpan.FromSeconds(8));
        var duringCut = await Completed(cluster.Contact, sweepId) - cutAt;
        network.Restore();
        var restored = Stopwatch.StartNew();
        // The downed worker's actor system stops and the process exits; its replacement joins, as a pod would restart.
        await cluster.Nodes[2].WaitForExit(TimeSpan.FromSeconds(60));
        cluster.Nodes[2] = Restart(cluster.Nodes[2], "worker", cluster.Seeds);
        using var sweepDone = new CancellationTokenSource();
        var resuming = SecondsUntilRunning(cluster.Nodes[2], restored, sweepDone.Token);
        await WaitUntilMember(cluster.Nodes[2]);

        var audit = await Audit(cluster, sweepId);
        await sweepDone.CancelAsync();
        var resume = await resuming;
        Report("network cut", audit, $"one worker isolated for 8 s, downed, restarted and rejoined; {duringCut} results recorded during the cut " +
               $"(the other worker kept going); from the link's return, the isolated worker's replacement running a trial after {Seconds(resume)}");
    }

    // ---- the cluster ----

    sealed record Cluster(List<NodeProcess> Nodes, string Seeds)
    {
        public string Contact => Nodes[0].Address;
    }

    /// <summary>A coordinator node and a worker on the host; a second worker on <paramref name="isolatedHostname"/>, in the namespace if given.</summary>
    async Task<Cluster> StartCluster(string hostname, string isolatedHostname, string? networkNamespace = null)
    {
        var ports = new[] { ListeningSockets.FreePort(), ListeningSockets.FreePort(), ListeningSockets.FreePort() };
        // Every node is a seed, as docs/cluster.md sets them up: a restarted coordinator (the first
        // seed) then joins the workers' cluster. Were it the only seed, it would form a cluster of
        // its own, and the workers, left in the old one without a coordinator, would wait for ever.
        var seeds = string.Join(',', ports.Select((port, i) => $"akka.tcp://sweep@{(i == 2 ? isolatedHostname : hostname)}:{port}"));
        var nodes = new List<NodeProcess>
        {
            Start(ports[0], "coordinator", seeds, hostname),
            Start(ports[1], "worker", seeds, hostname),
            Start(ports[2], "worker", seeds, isolatedHostname, networkNamespace),
        };
        foreach (var node in nodes) await WaitUntilMember(node);
        return new Cluster(nodes, seeds);
    }

    NodeProcess Start(int port, string roles, string seeds, string hostname, string? networkNamespace = null)
    {
        var health = ListeningSockets.FreePort();
        var settings = new Dictionary<string, string> { ["SWEEP_LEASE_SECONDS"] = "10", ["SWEEP_HEALTH_PORT"] = health.ToString(CultureInfo.InvariantCulture) };
        // Workers keep nothing in the database. The isolated one cannot reach PostgreSQL on the
        // host's loopback, so it opens a SQLite file of its own (in its working folder) instead.
        if (networkNamespace is null)
        {
            settings["SWEEP_DATABASE_PROVIDER"] = "postgresql";
            settings["SWEEP_DATABASE_CONNECTION"] = _db.Settings.ConnectionString;
        }
        var node = NodeProcess.Start(port, roles, seeds, Path.Combine(_folder, $"node-{port}.db"), settings, hostname, networkNamespace);
        _nodes.Add(node);
        _healthPorts[node] = health;
        return node;
    }

    /// <summary>What the node's /ready answers: whether it is an Up member of the cluster, and its words (or the connection's failure).</summary>
    async Task<(bool IsMember, string Answer)> Readiness(NodeProcess node)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            var ready = await http.GetAsync($"http://{node.Hostname}:{_healthPorts[node]}/ready");
            return (ready.IsSuccessStatusCode, await ready.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (false, e.Message);
        }
    }

    /// <summary>
    /// Waits until the node is an Up member of the cluster: its "up" line comes when it starts,
    /// before it has joined, and a fault while it is still joining would hit a smaller cluster
    /// than the scenario means to (a coordinator lost with one worker joined downs that worker too).
    /// </summary>
    async Task WaitUntilMember(NodeProcess node)
    {
        await node.WaitUntilUp();
        var answer = "";
        for (var i = 0; i < 600; i++)
        {
            bool isMember;
            (isMember, answer) = await Readiness(node);
            if (isMember) return;
            Assert.False(node.HasExited, $"node {node.Address} exited before joining:\n{string.Join('\n', node.Lines.TakeLast(20))}");
            await Task.Delay(100);
        }
        throw new TimeoutException($"node {node.Address} did not become an Up member: {answer}");
    }

    NodeProcess Restart(NodeProcess old, string roles, string seeds) =>
        Start(old.Port, roles, seeds, old.Hostname, old.Hostname == IsolatedHost.GuestAddress ? IsolatedHost.Namespace : null);

    async Task<string> Submit(string contact)
    {
        var spec = Path.Combine(_folder, "faults.yaml");
        await File.WriteAllTextAsync(spec, $"name: faults\nkind: sleep\nsleep_ms: {SleepMs}\narms: [true, head-only]\nseeds: {Trials / 2}\n");
        return await Sweep.Submit(spec, contact);
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

    /// <summary>Seconds on <paramref name="since"/> when the completed count moves again; null when the sweep had finished.</summary>
    static async Task<double?> SecondsUntilProgress(string contact, string sweepId, Stopwatch since)
    {
        var start = await Completed(contact, sweepId);
        if (start >= Trials) return null;
        await WaitForCompleted(contact, sweepId, start + 1);
        return since.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Seconds on <paramref name="since"/> when the node starts a trial; null when <paramref name="sweepDone"/>
    /// comes first, or the node is killed again (or the test ends) before it ran one.
    /// </summary>
    static async Task<double?> SecondsUntilRunning(NodeProcess node, Stopwatch since, CancellationToken sweepDone)
    {
        while (!node.TrialsRun().Any())
        {
            if (sweepDone.IsCancellationRequested || node.HasExited) return null;
            await Task.Delay(100, CancellationToken.None);
        }
        return since.Elapsed.TotalSeconds;
    }

    static string Seconds(double? seconds) =>
        seconds is { } s ? s.ToString("F1", CultureInfo.InvariantCulture) + " s" : "-";

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

        // Every node answers: the client reaches the coordinator, each node process is alive and
        // says it is an Up member of the cluster, and the coordinator counts each worker node's slot.
        var list = await Sweep.Run("list", "--cluster", cluster.Contact);
        Assert.True(list.ExitCode == 0, list.Stdout + list.Stderr);
        Assert.Contains(sweepId, list.Stdout);
        Assert.All(cluster.Nodes, n => Assert.False(n.HasExited, $"node {n.Address} exited:\n{string.Join('\n', n.Lines.TakeLast(20))}"));
        foreach (var node in cluster.Nodes)
        {
            var (isMember, answer) = await Readiness(node);
            Assert.True(isMember, $"node {node.Address} is not an Up member: {answer}");
        }
        await using var client = await SweepClient.ConnectAsync(cluster.Contact);
        var status = await client.AskAsync<SweepStatusReply>(new GetSweepStatus(sweepId), TimeSpan.FromSeconds(10));
        Assert.Equal((SweepState.Completed, Trials, 0), (status.Summary!.State, status.Summary.Completed, status.Summary.Failed));
        Assert.All(cluster.Nodes.Skip(1), w => Assert.Contains(status.Workers, s => s.WorkerId.StartsWith($"{w.Hostname}:{w.Port}/", StringComparison.Ordinal)));
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
            var server = new PrivatePostgres(bin, data, ListeningSockets.FreePort());
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
