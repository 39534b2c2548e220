using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SweepCluster.Cli.Tests;

/// <summary>
/// A self-signed certificate made for a test, written in every form SWEEP_TLS_* takes: a .pfx with
/// a password, PEM with a plain or an encrypted key, the password in a file (as a mounted
/// Kubernetes Secret holds it), and the certificate alone as the one CA to trust.
/// </summary>
public sealed record TestCertificate(string Pfx, string Pem, string Key, string EncryptedKey, string Password, string PasswordFile, string Ca)
{
    /// <summary>
    /// As `openssl req -x509` makes one in docs/cluster.md: for every node and client of one
    /// cluster, and its own CA. The files are NAME.pfx, NAME.crt, ... in <paramref name="folder"/>.
    /// </summary>
    public static TestCertificate Create(string folder, string name)
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

        var password = $"pw-{name}-{Guid.NewGuid():N}";
        string Named(string suffix) => Path.Combine(folder, name + suffix);
        var files = new TestCertificate(Named(".pfx"), Named(".crt"), Named(".key"), Named(".encrypted.key"), password, Named(".password"), Named("-ca.crt"));
        File.WriteAllBytes(files.Pfx, certificate.Export(X509ContentType.Pfx, password));
        File.WriteAllText(files.Pem, certificate.ExportCertificatePem());
        File.WriteAllText(files.Key, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(files.EncryptedKey,
            key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        // With the newline `echo` leaves, as in a Secret made with --from-file.
        File.WriteAllText(files.PasswordFile, password + "\n");
        File.WriteAllText(files.Ca, certificate.ExportCertificatePem());
        return files;
    }

    /// <summary>The .pfx, opened with the password in its file.</summary>
    public Dictionary<string, string> Environment() => new()
    {
        ["SWEEP_TLS_CERTIFICATE"] = Pfx,
        ["SWEEP_TLS_PASSWORD_FILE"] = PasswordFile,
        ["SWEEP_TLS_CA"] = Ca,
    };

    /// <summary>The same certificate as PEM, its key encrypted with the same password.</summary>
    public Dictionary<string, string> PemEnvironment() => new()
    {
        ["SWEEP_TLS_CERTIFICATE"] = Pem,
        ["SWEEP_TLS_KEY"] = EncryptedKey,
        ["SWEEP_TLS_PASSWORD_FILE"] = PasswordFile,
        ["SWEEP_TLS_CA"] = Ca,
    };
}
