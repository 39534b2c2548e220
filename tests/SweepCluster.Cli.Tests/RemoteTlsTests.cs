using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Hosting;
using SweepCluster.Cluster.Hosting;

namespace SweepCluster.Cli.Tests;

/// <summary>
/// <see cref="RemoteTls"/> in-process: every form of certificate the SWEEP_TLS_ settings take, the
/// settings it refuses and why, and which peer certificates its validation accepts.
/// </summary>
public sealed class RemoteTlsTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("sweep-remote-tls-").FullName;
    readonly TestCertificate _node;

    public RemoteTlsTests() => _node = TestCertificate.Create(_folder, "node");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    static RemoteTls Load(string certificate, string? key = null, string? password = null, string? passwordFile = null, string? ca = null, bool suppress = false) =>
        RemoteTls.Load(certificate, key, password, passwordFile, ca, suppress);

    [Fact]
    public void Every_form_of_the_certificate_loads_with_its_private_key()
    {
        var combined = Path.Combine(_folder, "combined.pem");
        File.WriteAllText(combined, File.ReadAllText(_node.Pem) + "\n" + File.ReadAllText(_node.Key));
        using var expected = X509CertificateLoader.LoadCertificateFromFile(_node.Pem);
        foreach (var load in new Func<RemoteTls>[]
                 {
                     () => Load(_node.Pfx, passwordFile: _node.PasswordFile, ca: _node.Ca),
                     () => Load(_node.Pfx, password: _node.Password, ca: _node.Ca),
                     () => Load(_node.Pem, key: _node.Key, ca: _node.Ca),
                     () => Load(_node.Pem, key: _node.EncryptedKey, passwordFile: _node.PasswordFile, ca: _node.Ca),
                     () => Load(combined, ca: _node.Ca),
                 })
        {
            using var tls = load();
            Assert.Equal(expected.Thumbprint, tls.Certificate.Thumbprint);
            Assert.True(tls.Certificate.HasPrivateKey);
            Assert.Equal(expected.Thumbprint, Assert.Single(tls.Trusted!).Thumbprint);
        }
    }

    [Fact]
    public void Settings_it_cannot_use_are_refused_naming_the_setting_and_file_and_never_the_password()
    {
        var wrong = Path.Combine(_folder, "wrong.password");
        File.WriteAllText(wrong, "wrong-" + _node.Password);
        var notACertificate = Path.Combine(_folder, "not-a-certificate.crt");
        File.WriteAllText(notACertificate, "hello");
        var cases = new (Func<RemoteTls> Load, string[] Expected)[]
        {
            (() => Load(_node.Pfx, passwordFile: wrong), ["SWEEP_TLS_CERTIFICATE", _node.Pfx, "SWEEP_TLS_PASSWORD_FILE", wrong]),
            (() => Load(_node.Pfx, key: _node.Key, passwordFile: _node.PasswordFile), ["SWEEP_TLS_KEY", "PKCS#12"]),
            (() => Load(_node.Pem), ["SWEEP_TLS_KEY", _node.Pem, "without its private key"]),
            (() => Load(_node.Pem, key: _node.EncryptedKey), ["SWEEP_TLS_PASSWORD_FILE", _node.EncryptedKey, "encrypted"]),
            (() => Load(_node.Pem, key: _node.EncryptedKey, passwordFile: wrong), ["SWEEP_TLS_KEY", _node.EncryptedKey, wrong]),
            (() => Load(_node.Pem, key: _node.Pem), ["SWEEP_TLS_KEY", "holds no PEM private key"]),
            (() => Load(_node.Pfx, password: _node.Password, passwordFile: _node.PasswordFile), ["SWEEP_TLS_PASSWORD and SWEEP_TLS_PASSWORD_FILE"]),
            (() => Load(_node.Pfx, passwordFile: _node.PasswordFile, ca: _node.Ca, suppress: true), ["SWEEP_TLS_SUPPRESS_VALIDATION", "SWEEP_TLS_CA"]),
            (() => Load(_node.Pfx, passwordFile: _node.PasswordFile, ca: notACertificate), ["SWEEP_TLS_CA", notACertificate]),
            (() => Load(_node.Pfx, passwordFile: _node.PasswordFile, ca: notACertificate + ".missing"), ["SWEEP_TLS_CA", "no such file"]),
        };
        foreach (var (load, expected) in cases)
        {
            var e = Assert.Throws<ArgumentException>(() => load().Dispose());
            Assert.All(expected, x => Assert.Contains(x, e.Message));
            Assert.DoesNotContain(_node.Password, e.Message);
        }
    }

    [Fact]
    public void Node_settings_refuse_tls_settings_without_a_certificate_and_seeds_of_the_other_protocol()
    {
        var e = Assert.Throws<ArgumentException>(() => new NodeSettings { Devices = "cpu", TlsCa = _node.Ca, TlsSuppressValidation = true }.Validate());
        Assert.Contains("SWEEP_TLS_CA, SWEEP_TLS_SUPPRESS_VALIDATION: set without SWEEP_TLS_CERTIFICATE", e.Message);
        var tls = new NodeSettings { Devices = "cpu", TlsCertificate = _node.Pfx, TlsPasswordFile = _node.PasswordFile, TlsCa = _node.Ca };
        Assert.Equal("akka.ssl.tcp", tls.Validate().Protocol);
        e = Assert.Throws<ArgumentException>(() => (tls with { SeedNodes = "akka.tcp://sweep@10.0.0.1:4053" }).Validate());
        Assert.Contains("must look like akka.ssl.tcp://sweep@host:port (TLS is on", e.Message);
        Assert.Contains("must look like akka.tcp://", Assert.Throws<ArgumentException>(() =>
            new NodeSettings { Devices = "cpu", SeedNodes = "akka.ssl.tcp://sweep@10.0.0.1:4053" }.Validate()).Message);
    }

    [Fact]
    public void Validation_accepts_a_peer_certificate_issued_by_the_trusted_ca_only()
    {
        using var tls = Load(_node.Pfx, passwordFile: _node.PasswordFile, ca: _node.Ca);
        var options = tls.ApplyTo(new RemoteOptions());
        Assert.True(options.EnableSsl);
        Assert.True(options.Ssl.RequireMutualAuthentication);
        var validate = options.Ssl.CustomValidator!;
        var other = TestCertificate.Create(_folder, "other");
        using var peer = X509CertificateLoader.LoadCertificateFromFile(_node.Pem);
        using var stranger = X509CertificateLoader.LoadCertificateFromFile(other.Pem);
        // What the system's trust store makes of a self-signed certificate does not matter.
        Assert.True(validate(peer, null, "peer", SslPolicyErrors.RemoteCertificateChainErrors, NoLogger.Instance));
        Assert.False(validate(stranger, null, "stranger", SslPolicyErrors.None, NoLogger.Instance));
        Assert.False(validate(null, null, "nobody", SslPolicyErrors.RemoteCertificateNotAvailable, NoLogger.Instance));

        // Without a CA of its own, Akka.Remote's default validation applies: the system's trust store.
        using var system = Load(_node.Pfx, passwordFile: _node.PasswordFile);
        Assert.Null(system.ApplyTo(new RemoteOptions()).Ssl.CustomValidator);
        using var suppressed = Load(_node.Pfx, passwordFile: _node.PasswordFile, suppress: true);
        Assert.True(suppressed.ApplyTo(new RemoteOptions()).Ssl.SuppressValidation);
    }
}
