using SweepCluster.Cluster.Tests;

namespace SweepCluster.Cli.Tests;

/// <summary>
/// Akka.Remote over TLS between real `sweep node` processes on loopback and the `sweep` client,
/// with self-signed certificates made by the test (<see cref="TestCertificate"/>): a .pfx with its
/// password in a file, or PEM with an encrypted key, and the certificate itself as the trusted CA.
/// </summary>
public sealed class TlsTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("sweep-tls-").FullName;
    readonly List<NodeProcess> _nodes = [];
    readonly int _coordinatorPort = ListeningSockets.FreePort();
    readonly int _workerPort = ListeningSockets.FreePort();

    string Database => Path.Combine(_folder, "sweep.db");
    string Contact => $"akka.ssl.tcp://sweep@127.0.0.1:{_coordinatorPort}";

    TestCertificate MakeCertificate(string name) => TestCertificate.Create(_folder, name);

    NodeProcess StartNode(int port, string roles, string seeds, IReadOnlyDictionary<string, string> environment)
    {
        var node = NodeProcess.Start(port, roles, seeds, Database, new Dictionary<string, string>(environment));
        _nodes.Add(node);
        return node;
    }

    string Spec(string name, int seeds, int ms)
    {
        var path = Path.Combine(_folder, name + ".yaml");
        File.WriteAllText(path, $"name: {name}\nkind: sleep\nsleep_ms: {ms}\narms: [true, random-frozen]\nseeds: {seeds}\n");
        return path;
    }

    [Fact]
    public async Task A_coordinator_and_a_worker_with_tls_run_a_sweep_submitted_over_tls()
    {
        var credentials = MakeCertificate("cluster");
        var tls = credentials.Environment();
        var seeds = $"{Contact},akka.ssl.tcp://sweep@127.0.0.1:{_workerPort}";
        var coordinator = StartNode(_coordinatorPort, "coordinator", seeds, tls);
        await coordinator.WaitUntilUp();
        // The worker reads the PEM files: both forms of the certificate work, side by side.
        var worker = StartNode(_workerPort, "worker", seeds, credentials.PemEnvironment());
        await worker.WaitUntilUp();
        Assert.Contains(coordinator.Lines, l => l.Contains($"node {Contact} up"));

        var submit = await Sweep.RunWith(_folder, tls, "submit", Spec("tls", seeds: 4, ms: 50), "--cluster", Contact, "--watch");
        Assert.True(submit.ExitCode == 0, submit.Stdout + submit.Stderr);
        var sweepId = Sweep.SweepId(submit);
        var status = await Sweep.RunWith(_folder, tls, "status", sweepId, "--cluster", Contact);
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        Assert.Contains($"{sweepId} completed: 8/8 trials (8 completed, 0 failed", status.Stdout);
        // The coordinator node has no worker role: the TLS worker ran every trial.
        Assert.Equal(8, worker.TrialsRun().Distinct().Count());
        Assert.Contains(coordinator.Lines, l => l.Contains($"TLS with CN=cluster (expires") && l.Contains($"from {credentials.Pfx}; peers must hold a certificate issued by"));
        Assert.Contains(worker.Lines, l => l.Contains($"TLS with CN=cluster (expires") && l.Contains($"from {credentials.Pem}; peers must hold a certificate issued by"));
    }

    [Fact]
    public async Task A_node_or_client_without_tls_or_with_a_certificate_the_cluster_does_not_trust_is_refused()
    {
        var tls = MakeCertificate("cluster").Environment();
        var coordinator = StartNode(_coordinatorPort, "coordinator", Contact, tls);
        await coordinator.WaitUntilUp();

        // A worker on plain TCP, given the coordinator's port as its seed.
        var plainPort = ListeningSockets.FreePort();
        var plain = StartNode(plainPort, "worker", $"akka.tcp://sweep@127.0.0.1:{_coordinatorPort}", new Dictionary<string, string>());
        // A worker with TLS and a certificate of its own, which the cluster does not trust, nor it the cluster's.
        var intruderCertificate = MakeCertificate("intruder").Environment();
        var intruder = StartNode(_workerPort, "worker", Contact, intruderCertificate);
        var plainClient = Sweep.RunWith(_folder, null, "list", "--cluster", $"akka.tcp://sweep@127.0.0.1:{_coordinatorPort}");
        var intruderClient = Sweep.RunWith(_folder, intruderCertificate, "list", "--cluster", Contact);

        // Akka.Remote stops a node whose outbound TLS handshake fails; the node exits with Akka's code for it.
        await intruder.WaitForExit(TimeSpan.FromMinutes(2));
        Assert.NotEqual(0, intruder.ExitCode);
        Assert.Contains(intruder.Lines, l => l.Contains("TLS: refused the certificate CN=cluster"));
        Assert.Contains(intruder.Lines, l => l.Contains("stopped: TLS handshake failed"));
        var refused = await plainClient;
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("error: no answer from akka.tcp://sweep@127.0.0.1:", refused.Stderr);
        // A client's outbound handshake fails the same way, and it says so.
        var stranger = await intruderClient;
        Assert.Equal(1, stranger.ExitCode);
        Assert.Contains($"error: the client stopped before {Contact} answered: TLS handshake failed", stranger.Stderr);
        // The plain worker keeps trying to join; the coordinator turns away what is no TLS record.
        for (var i = 0; i < 600 && !plain.Lines.Any(l => l.Contains("Couldn't join seed nodes")); i++) await Task.Delay(200);
        Assert.Contains(plain.Lines, l => l.Contains("Couldn't join seed nodes"));
        Assert.Contains(coordinator.Lines, l => l.Contains("not an SSL/TLS record"));

        Assert.DoesNotContain(plain.Lines.Concat(intruder.Lines), l => l.Contains("Welcome from"));
        Assert.All(coordinator.Lines.Where(l => l.Contains(" is JOINING")), l => Assert.Contains($"[akka.ssl.tcp://sweep@127.0.0.1:{_coordinatorPort}] is JOINING itself", l));
        // Refusing them cost the cluster nothing: it answers a client with its certificate.
        Assert.False(coordinator.HasExited);
        var list = await Sweep.RunWith(_folder, tls, "list", "--cluster", Contact);
        Assert.True(list.ExitCode == 0, list.Stdout + list.Stderr);
    }

    [Fact]
    public async Task A_wrong_password_or_a_missing_file_is_a_start_up_error_naming_the_setting_and_file_and_never_the_password()
    {
        var credentials = MakeCertificate("cluster");
        var wrongPassword = "wrong-" + credentials.Password;
        var wrongPasswordFile = Path.Combine(_folder, "wrong.password");
        await File.WriteAllTextAsync(wrongPasswordFile, wrongPassword);
        var missing = Path.Combine(_folder, "missing.pfx");
        Dictionary<string, string> With(string key, string? value)
        {
            var environment = credentials.Environment();
            if (value is null) environment.Remove(key);
            else environment[key] = value;
            return environment;
        }
        var passwordInVariable = With("SWEEP_TLS_PASSWORD_FILE", null);
        passwordInVariable["SWEEP_TLS_PASSWORD"] = wrongPassword;
        var cases = new (Dictionary<string, string> Environment, string[] Expected)[]
        {
            (With("SWEEP_TLS_PASSWORD_FILE", wrongPasswordFile), ["SWEEP_TLS_CERTIFICATE", credentials.Pfx, "SWEEP_TLS_PASSWORD_FILE", wrongPasswordFile]),
            (passwordInVariable, ["SWEEP_TLS_CERTIFICATE", credentials.Pfx, "the password in SWEEP_TLS_PASSWORD"]),
            (With("SWEEP_TLS_PASSWORD_FILE", null), ["SWEEP_TLS_CERTIFICATE", credentials.Pfx, "no password"]),
            (With("SWEEP_TLS_CERTIFICATE", missing), ["SWEEP_TLS_CERTIFICATE", missing, "no such file"]),
            (With("SWEEP_TLS_PASSWORD_FILE", missing + ".password"), ["SWEEP_TLS_PASSWORD_FILE", missing + ".password", "no such file"]),
        };
        var outputs = new List<Sweep.Output>();
        foreach (var (environment, expected) in cases)
        {
            environment["SWEEP_PORT"] = "0";
            environment["SWEEP_DATABASE_CONNECTION"] = Database;
            var node = await Sweep.RunWith(_folder, environment, "node");
            Assert.True(node.ExitCode == 2, $"exit code {node.ExitCode}: {node.Stdout}{node.Stderr}");
            Assert.All(expected, e => Assert.Contains(e, node.Stderr));
            outputs.Add(node);
        }
        // The client reads the same settings and fails the same way, before it connects.
        var client = await Sweep.RunWith(_folder, cases[0].Environment, "list", "--cluster", Contact);
        Assert.Equal(2, client.ExitCode);
        Assert.Contains("SWEEP_TLS_CERTIFICATE", client.Stderr);
        outputs.Add(client);
        Assert.All(outputs, o => Assert.DoesNotContain(credentials.Password, o.Stdout + o.Stderr));
        Assert.All(outputs, o => Assert.DoesNotContain(wrongPassword, o.Stdout + o.Stderr));
        Assert.False(File.Exists(Database), "a node that refused its settings created its database");
    }

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
