using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SweepCluster.Cli.Tests;

/// <summary>
/// Akka.Remote over TLS between real `sweep node` processes on loopback and the `sweep` client,
/// with self-signed certificates made here and written as a password-protected .pfx, its password
/// in a file (as a mounted Kubernetes Secret holds it) and its certificate as the trusted CA.
/// </summary>
public sealed class TlsTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("sweep-tls-").FullName;
    readonly List<NodeProcess> _nodes = [];
    readonly int _coordinatorPort = NodeProcess.FreePort();
    readonly int _workerPort = NodeProcess.FreePort();

    string Database => Path.Combine(_folder, "sweep.db");
    string Contact => $"akka.ssl.tcp://sweep@127.0.0.1:{_coordinatorPort}";

    /// <summary>A certificate, its files and the SWEEP_TLS_ settings that use them.</summary>
    sealed record Credentials(string Pfx, string Password, string PasswordFile, string Ca)
    {
        public Dictionary<string, string> Environment() => new()
        {
            ["SWEEP_TLS_CERTIFICATE"] = Pfx,
            ["SWEEP_TLS_PASSWORD_FILE"] = PasswordFile,
            ["SWEEP_TLS_CA"] = Ca,
        };
    }

    /// <summary>
    /// A self-signed certificate for every node and client of one cluster, which is also the one CA
    /// they trust: as `openssl req -x509` makes it in docs/cluster.md.
    /// </summary>
    Credentials MakeCertificate(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, critical: true));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var password = $"pfx-{name}-{Guid.NewGuid():N}";
        var credentials = new Credentials(Path.Combine(_folder, name + ".pfx"), password, Path.Combine(_folder, name + ".password"), Path.Combine(_folder, name + "-ca.pem"));
        File.WriteAllBytes(credentials.Pfx, certificate.Export(X509ContentType.Pfx, password));
        // With the newline `echo` leaves, as in a Secret made with --from-file.
        File.WriteAllText(credentials.PasswordFile, password + "\n");
        File.WriteAllText(credentials.Ca, certificate.ExportCertificatePem());
        return credentials;
    }

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

    static string SweepId(Sweep.Output submit) =>
        submit.Stdout.Split('\n').First(l => l.StartsWith("sweep ", StringComparison.Ordinal))["sweep ".Length..].Split(':')[0];

    [Fact]
    public async Task A_coordinator_and_a_worker_with_tls_run_a_sweep_submitted_over_tls()
    {
        var tls = MakeCertificate("cluster").Environment();
        var seeds = $"{Contact},akka.ssl.tcp://sweep@127.0.0.1:{_workerPort}";
        var coordinator = StartNode(_coordinatorPort, "coordinator", seeds, tls);
        await coordinator.WaitUntilUp();
        var worker = StartNode(_workerPort, "worker", seeds, tls);
        await worker.WaitUntilUp();
        Assert.Contains(coordinator.Lines, l => l.Contains($"node {Contact} up"));

        var submit = await Sweep.RunWith(_folder, tls, "submit", Spec("tls", seeds: 4, ms: 50), "--cluster", Contact, "--watch");
        Assert.True(submit.ExitCode == 0, submit.Stdout + submit.Stderr);
        var sweepId = SweepId(submit);
        var status = await Sweep.RunWith(_folder, tls, "status", sweepId, "--cluster", Contact);
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        Assert.Contains($"{sweepId} completed: 8/8 trials (8 completed, 0 failed", status.Stdout);
        // The coordinator node has no worker role: the TLS worker ran every trial.
        Assert.Equal(8, worker.TrialsRun().Distinct().Count());
        Assert.Contains(coordinator.Lines, l => l.Contains("TLS with CN=cluster") && l.Contains("must hold a certificate issued by"));
    }

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
