using System.Net;
using SweepCluster.Cli.Tests;
using SweepCluster.Cluster.Tests;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// The manifests' node configuration on one machine: a coordinator and two workers started as
/// `sweep node` with the SWEEP_ variables of k8s/, where only what needs Kubernetes or a GPU is
/// replaced (static seeds for discovery, loopback ports, SQLite for PostgreSQL, a CPU slot).
/// </summary>
public sealed class RehearsalTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("sweep-deploy-").FullName;
    readonly List<NodeProcess> _nodes = [];

    NodeProcess Start(string component, int port, string seeds, int healthPort)
    {
        var env = Deployment.Env(Deployment.K8s.NodeTemplates[component])
            .Where(e => e.Key.StartsWith("SWEEP_", StringComparison.Ordinal))
            .ToDictionary(e => e.Key, e => e.Value);
        env["SWEEP_HOSTNAME"] = "127.0.0.1";
        env["SWEEP_PUBLIC_HOSTNAME"] = "127.0.0.1";
        env["SWEEP_PORT"] = port.ToString();
        env["SWEEP_DISCOVERY"] = "static";
        env["SWEEP_SEED_NODES"] = seeds;
        env["SWEEP_DATABASE_PROVIDER"] = "sqlite";
        env["SWEEP_DATABASE_CONNECTION"] = Path.Combine(_folder, "sweep.db");
        env["SWEEP_DEVICES"] = "cpu:1";
        env["SWEEP_HEALTH_PORT"] = healthPort.ToString();
        env["SWEEP_CACHE_DIRECTORY"] = Path.Combine(_folder, "cache");
        var node = NodeProcess.Start(port, env["SWEEP_ROLES"], seeds, Path.Combine(_folder, "sweep.db"), env);
        _nodes.Add(node);
        return node;
    }

    [Fact]
    public async Task A_coordinator_and_two_workers_configured_as_in_the_manifests_run_a_sleep_sweep_and_report_ready()
    {
        int[] ports = [ListeningSockets.FreePort(), ListeningSockets.FreePort(), ListeningSockets.FreePort()];
        var healthPort = ListeningSockets.FreePort();
        var seeds = $"akka.tcp://sweep@127.0.0.1:{ports[0]}";
        var coordinator = Start("coordinator", ports[0], seeds, healthPort);
        await coordinator.WaitUntilUp();
        var workers = new[] { Start("worker", ports[1], seeds, ListeningSockets.FreePort()), Start("worker", ports[2], seeds, ListeningSockets.FreePort()) };
        foreach (var w in workers) await w.WaitUntilUp();

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{healthPort}") };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);
        var ready = HttpStatusCode.ServiceUnavailable;
        for (var i = 0; i < 100 && ready != HttpStatusCode.OK; i++, await Task.Delay(100)) ready = (await http.GetAsync("/ready")).StatusCode;
        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/")).StatusCode);

        var spec = Path.Combine(_folder, "rehearsal.yaml");
        await File.WriteAllTextAsync(spec, "name: rehearsal\nkind: sleep\nsleep_ms: 50\narms: [true, random-frozen]\nseeds: 5\n");
        var sweepId = await Sweep.Submit(spec, seeds);

        await using var client = await Cluster.Client.SweepClient.ConnectAsync(seeds);
        var status = await Sweep.WaitForStatus(client, sweepId, s => s.Summary!.State == Cluster.Protocol.SweepState.Completed, seconds: 60);
        Assert.Equal(10, status.Summary!.Completed);
        Assert.All(workers, w => Assert.NotEmpty(w.TrialsRun()));

        // SIGTERM, as Kubernetes stops a pod: the node leaves gracefully.
        coordinator.Terminate();
        await coordinator.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.Contains(coordinator.Lines, l => l.Contains("leaving the cluster"));
    }

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
