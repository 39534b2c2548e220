using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Hosting;
using Akka.Remote.Transport.DotNetty;

namespace SweepCluster.Cluster.Hosting;

/// <summary>
/// TLS for Akka.Remote's DotNetty transport, loaded from files (<c>SWEEP_TLS_*</c>, docs/cluster.md#tls):
/// the certificate a node or client presents, and how it checks its peers' certificates. TLS is
/// mutual: every connection, node to node and client to node, presents a certificate both ways.
/// </summary>
public sealed class RemoteTls : IDisposable
{
    /// <summary>Addresses of a cluster with TLS: akka.ssl.tcp://sweep@host:port.</summary>
    public const string Protocol = "akka.ssl.tcp";
    public const string PlainProtocol = "akka.tcp";

    RemoteTls(X509Certificate2 certificate, string certificatePath, X509Certificate2Collection? trusted, string? trustedPath, bool suppressValidation)
    {
        Certificate = certificate;
        CertificatePath = certificatePath;
        Trusted = trusted;
        TrustedPath = trustedPath;
        SuppressValidation = suppressValidation;
    }

    /// <summary>What this process presents, with its private key.</summary>
    public X509Certificate2 Certificate { get; }
    public string CertificatePath { get; }
    /// <summary>The CA certificates a peer's certificate must chain to; null: the system's trust store.</summary>
    public X509Certificate2Collection? Trusted { get; }
    public string? TrustedPath { get; }
    /// <summary>Any peer certificate is accepted: the traffic is encrypted, but nothing checks who the peer is.</summary>
    public bool SuppressValidation { get; }

    /// <summary>akka.ssl.tcp with TLS, akka.tcp without.</summary>
    public static string ProtocolOf(RemoteTls? tls) => tls is null ? PlainProtocol : Protocol;

    /// <summary>
    /// Loads the certificate and the trusted CAs. <paramref name="certificate"/> is a PKCS#12 file
    /// (.pfx, .p12) or a PEM certificate whose key is in <paramref name="key"/> or in the same file;
    /// the password, given directly or in a file (a mounted Secret), opens the PKCS#12 file or an
    /// encrypted PEM key. Throws <see cref="ArgumentException"/> naming the SWEEP_TLS_ setting and
    /// the file at fault; no message contains the password.
    /// </summary>
    public static RemoteTls Load(string certificate, string? key, string? password, string? passwordFile, string? ca, bool suppressValidation)
    {
        if (!string.IsNullOrEmpty(password) && !string.IsNullOrEmpty(passwordFile))
            throw new ArgumentException("SWEEP_TLS_PASSWORD and SWEEP_TLS_PASSWORD_FILE: set one of them, not both");
        if (suppressValidation && !string.IsNullOrEmpty(ca))
            throw new ArgumentException("SWEEP_TLS_SUPPRESS_VALIDATION: true accepts any peer certificate, which contradicts SWEEP_TLS_CA; set one of them");
        if (!string.IsNullOrEmpty(passwordFile))
            // `kubectl create secret --from-file` keeps the newline an editor or echo left at the end.
            password = ReadText("SWEEP_TLS_PASSWORD_FILE", passwordFile).TrimEnd('\r', '\n');
        var passwordSource = !string.IsNullOrEmpty(passwordFile) ? $"the password in SWEEP_TLS_PASSWORD_FILE ({Path.GetFullPath(passwordFile)})"
            : !string.IsNullOrEmpty(password) ? "the password in SWEEP_TLS_PASSWORD"
            : "no password (SWEEP_TLS_PASSWORD_FILE and SWEEP_TLS_PASSWORD are unset)";

        var loaded = IsPem(certificate)
            ? LoadPem(certificate, string.IsNullOrEmpty(key) ? null : key, password, passwordSource)
            : LoadPkcs12(certificate, key, password, passwordSource);
        try
        {
            Check(loaded, certificate);
            var trusted = string.IsNullOrEmpty(ca) ? null : LoadTrusted(ca);
            return new RemoteTls(loaded, Path.GetFullPath(certificate), trusted, string.IsNullOrEmpty(ca) ? null : Path.GetFullPath(ca), suppressValidation);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>Turns TLS on in these remoting options, with this certificate and validation.</summary>
    public RemoteOptions ApplyTo(RemoteOptions options)
    {
        options.EnableSsl = true;
        options.Ssl = new SslOptions
        {
            // Given as an object, not as a HOCON path and password: the password stays out of the configuration.
            X509Certificate = Certificate,
            SuppressValidation = SuppressValidation,
            // Both ends present and check certificates, so a client or node without one is refused too.
            RequireMutualAuthentication = true,
            // Nodes reach each other by pod IP or per-pod names that one shared certificate does not list;
            // what is checked is that the peer holds a certificate issued by a trusted CA.
            ValidateCertificateHostname = false,
            CustomValidator = Trusted is null ? null : IssuedBy(Trusted),
        };
        return options;
    }

    /// <summary>One line for the log: which certificate, until when, and how peers are checked.</summary>
    public string Describe() =>
        $"TLS with {Certificate.Subject} (expires {Certificate.NotAfter.ToUniversalTime():u}) from {CertificatePath}; peers " + (SuppressValidation
            ? "NOT validated (SWEEP_TLS_SUPPRESS_VALIDATION): traffic is encrypted but any certificate is accepted"
            : Trusted is null
                ? "validated against the system's trusted CAs"
                : $"must hold a certificate issued by one of the {Trusted.Count} CA certificate(s) in {TrustedPath}");

    /// <summary>
    /// A peer is accepted when its certificate chains to one of <paramref name="trusted"/>, and to
    /// nothing else: the system's CAs play no part, so a certificate from a public CA is refused too.
    /// </summary>
    static CertificateValidationCallback IssuedBy(X509Certificate2Collection trusted) => (certificate, chain, peer, _, log) =>
    {
        if (certificate is null)
        {
            log.Error("TLS: {0} presented no certificate", peer);
            return false;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(trusted);
        // A private CA publishes no revocation list as a rule; to withdraw a certificate, replace the CA.
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // Intermediate certificates the peer sent along.
        if (chain is not null)
            foreach (var element in chain.ChainElements)
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (custom.Build(certificate)) return true;
        log.Error("TLS: refused the certificate {0} of {1}: {2}", certificate.Subject, peer,
            string.Join("; ", custom.ChainStatus.Select(s => s.StatusInformation.Trim())));
        return false;
    };

    static bool IsPem(string path) => ReadText("SWEEP_TLS_CERTIFICATE", path, bytes: true).Contains("-----BEGIN ", StringComparison.Ordinal);

    static X509Certificate2 LoadPkcs12(string path, string? key, string? password, string passwordSource)
    {
        if (!string.IsNullOrEmpty(key))
            throw new ArgumentException($"SWEEP_TLS_KEY: only for a PEM certificate; {Path.GetFullPath(path)} is PKCS#12 and holds its own key");
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"SWEEP_TLS_CERTIFICATE: {Path.GetFullPath(path)} cannot be opened as PKCS#12 (.pfx) with " +
                $"{passwordSource}: {e.Message}");
        }
    }

    static X509Certificate2 LoadPem(string path, string? keyPath, string? password, string passwordSource)
    {
        var keyFile = keyPath ?? path;
        var keyText = ReadText(keyPath is null ? "SWEEP_TLS_CERTIFICATE" : "SWEEP_TLS_KEY", keyFile);
        if (!keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            throw new ArgumentException(keyPath is null
                ? $"SWEEP_TLS_KEY: {Path.GetFullPath(path)} is a PEM certificate without its private key; set SWEEP_TLS_KEY to the key's file"
                : $"SWEEP_TLS_KEY: {Path.GetFullPath(keyFile)} holds no PEM private key");
        var encrypted = keyText.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal);
        if (encrypted && string.IsNullOrEmpty(password))
            throw new ArgumentException($"SWEEP_TLS_PASSWORD_FILE: the key in {Path.GetFullPath(keyFile)} is encrypted; give its password (or SWEEP_TLS_PASSWORD)");
        try
        {
            return encrypted ? X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath) : X509Certificate2.CreateFromPemFile(path, keyPath);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"SWEEP_TLS_CERTIFICATE / SWEEP_TLS_KEY: {Path.GetFullPath(path)} with the key in {Path.GetFullPath(keyFile)}" +
                (encrypted ? $" and {passwordSource}" : "") + $" cannot be loaded: {e.Message}");
        }
    }

    /// <summary>Refuses what Akka would only refuse later, or a peer at the first handshake.</summary>
    static void Check(X509Certificate2 certificate, string path)
    {
        var file = Path.GetFullPath(path);
        if (!certificate.HasPrivateKey)
            throw new ArgumentException($"SWEEP_TLS_CERTIFICATE: {file} holds no private key for {certificate.Subject}");
        var now = DateTime.Now;
        if (now < certificate.NotBefore)
            throw new ArgumentException($"SWEEP_TLS_CERTIFICATE: {file} ({certificate.Subject}) is valid only from {certificate.NotBefore.ToUniversalTime():u}");
        if (now > certificate.NotAfter)
            throw new ArgumentException($"SWEEP_TLS_CERTIFICATE: {file} ({certificate.Subject}) expired on {certificate.NotAfter.ToUniversalTime():u}");
    }

    /// <summary>A PEM bundle of CA certificates, or one DER certificate.</summary>
    static X509Certificate2Collection LoadTrusted(string path)
    {
        var file = Path.GetFullPath(path);
        var trusted = new X509Certificate2Collection();
        try
        {
            if (ReadText("SWEEP_TLS_CA", path, bytes: true).Contains("-----BEGIN ", StringComparison.Ordinal)) trusted.ImportFromPemFile(path);
            else trusted.Add(X509CertificateLoader.LoadCertificateFromFile(path));
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"SWEEP_TLS_CA: {file} is no PEM or DER certificate: {e.Message}");
        }
        if (trusted.Count == 0) throw new ArgumentException($"SWEEP_TLS_CA: {file} holds no certificate");
        return trusted;
    }

    /// <summary>The file's text (or its bytes as Latin-1, to sniff a binary file), or an error naming the setting and file.</summary>
    static string ReadText(string setting, string path, bool bytes = false)
    {
        var file = Path.GetFullPath(path);
        try
        {
            return bytes ? System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(file)) : File.ReadAllText(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ArgumentException($"{setting}: {file}: no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{setting}: {file} cannot be read: {e.Message}");
        }
    }

    public void Dispose()
    {
        Certificate.Dispose();
        if (Trusted is null) return;
        foreach (var certificate in Trusted) certificate.Dispose();
    }
}
