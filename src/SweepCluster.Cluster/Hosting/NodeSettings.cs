using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SweepCluster.Storage;
using SweepCluster.Sweeps;
using SweepCluster.Training.Data;

namespace SweepCluster.Cluster.Hosting;

/// <summary>
/// Everything a node needs, typed and validated at start-up. Bound from appsettings.json and
/// from environment variables prefixed <c>SWEEP_</c> (<c>SWEEP_ROLES</c>, <c>SWEEP_PORT</c>, ...);
/// the full table is in docs/cluster.md.
/// </summary>
public sealed record NodeSettings
{
    public const string CoordinatorRole = "coordinator";
    public const string WorkerRole = "worker";
    public const string StaticDiscovery = "static";
    public const string KubernetesDiscovery = "kubernetes";

    /// <summary>Comma-separated roles: coordinator, worker, or both.</summary>
    public string Roles { get; init; } = "coordinator,worker";
    /// <summary>Interface remoting binds to. Embedded mode and tests use loopback.</summary>
    public string Hostname { get; init; } = "127.0.0.1";
    /// <summary>Remoting port; 0 picks a free one.</summary>
    public int Port { get; init; } = 4053;
    /// <summary>Address other nodes use to reach this one (a pod IP); defaults to <see cref="Hostname"/>.</summary>
    public string? PublicHostname { get; init; }
    /// <summary>Comma-separated akka.tcp://sweep@host:port addresses (akka.ssl.tcp:// with TLS); empty means join yourself.</summary>
    public string SeedNodes { get; init; } = "";
    /// <summary>sqlite or postgresql.</summary>
    public string DatabaseProvider { get; init; } = "sqlite";
    /// <summary>For sqlite, a connection string or just a file path.</summary>
    public string DatabaseConnection { get; init; } = "sweep.db";
    /// <summary>"cpu" (one slot), "cpu:N" (N CPU slots), or CUDA devices "cuda:0,cuda:1"; "auto" takes every GPU, else one CPU slot.</summary>
    public string Devices { get; init; } = "auto";
    /// <summary>Torch threads per slot; 0 divides the cores evenly between CPU slots.</summary>
    public int ThreadsPerSlot { get; init; }
    /// <summary>
    /// Seeds of one cell a worker slot trains as one fused model; 0 (the default) chooses by
    /// device (<see cref="DeviceSlots.FuseSeeds"/>): fused on CUDA, one at a time on CPU.
    /// </summary>
    public int FuseSeeds { get; init; }
    /// <summary>Seconds a trial may go without progress before it is handed to another worker.</summary>
    public int LeaseSeconds { get; init; } = 60;
    /// <summary>Attempts of a transiently failing trial.</summary>
    public int MaxAttempts { get; init; } = 3;
    /// <summary>Coordinator journal events between snapshots; recovery loads the latest snapshot and replays the events after it.</summary>
    public int SnapshotEvery { get; init; } = 1000;
    /// <summary>Seconds the split-brain resolver waits for a stable view before downing unreachable nodes.</summary>
    public double DownAfterSeconds { get; init; } = 10;
    /// <summary>Where decoded image folders are cached.</summary>
    public string? CacheDirectory { get; init; }
    /// <summary>
    /// ':'-separated folders that dataset paths in specs must lie under; relative paths in a spec
    /// mean the first. Empty: the current folder and /usr/share/datasets.
    /// </summary>
    public string DataRoots { get; init; } = "";
    /// <summary>The most trials one sweep may expand to; a spec's max_trials may lower it, not raise it.</summary>
    public long MaxTrials { get; init; } = SweepSpec.DefaultMaxTrials;
    /// <summary>Trials waiting across all running sweeps; submissions past it are refused.</summary>
    public int MaxQueuedTrials { get; init; } = 1_000_000;
    /// <summary>Submissions a node's client gateway passes to the coordinator before it has answered them; more are refused as busy.</summary>
    public int MaxSubmissionsInFlight { get; init; } = 16;
    /// <summary>
    /// How a node finds the cluster: "static" joins <see cref="SeedNodes"/> (or itself); "kubernetes"
    /// runs Akka.Management cluster bootstrap over the pods the Kubernetes API lists, with no seed nodes.
    /// </summary>
    public string Discovery { get; init; } = StaticDiscovery;
    /// <summary>Kubernetes label selector of the pods that are cluster nodes (coordinators and workers, not clients).</summary>
    public string DiscoveryLabelSelector { get; init; } = "";
    /// <summary>Nodes bootstrap must see before the lowest-addressed one forms a new cluster.</summary>
    public int DiscoveryContactPoints { get; init; } = 1;
    /// <summary>Akka.Management HTTP port that bootstrap probes (Kubernetes discovery only).</summary>
    public int ManagementPort { get; init; } = 8558;
    /// <summary>
    /// The host bootstrap advertises as this node's contact point (Kubernetes discovery only);
    /// defaults to <see cref="PublicHostname"/>. It must be the pod's IP: bootstrap finds itself
    /// among the pods the Kubernetes API lists by comparing this with their IPs, and a node that
    /// never finds itself never forms the cluster, even when it has the lowest address.
    /// </summary>
    public string? ManagementHostname { get; init; }
    /// <summary>HTTP port of /alive and /ready on the interface of <see cref="Hostname"/>; 0 (the default) serves no health endpoint.</summary>
    public int HealthPort { get; init; }
    /// <summary>
    /// TLS for remoting (docs/cluster.md#tls): a PKCS#12 file (.pfx), or a PEM certificate whose key
    /// is in <see cref="TlsKey"/> or the same file. Empty (the default): plain TCP.
    /// </summary>
    public string TlsCertificate { get; init; } = "";
    /// <summary>The PEM private key of a PEM <see cref="TlsCertificate"/>.</summary>
    public string TlsKey { get; init; } = "";
    /// <summary>Password of the .pfx or of an encrypted PEM key; <see cref="TlsPasswordFile"/> keeps it out of the environment.</summary>
    public string TlsPassword { get; init; } = "";
    /// <summary>A file holding that password, such as a key of a mounted Kubernetes Secret.</summary>
    public string TlsPasswordFile { get; init; } = "";
    /// <summary>PEM (or DER) CA certificates a peer's certificate must chain to; empty: the system's trusted CAs.</summary>
    public string TlsCa { get; init; } = "";
    /// <summary>Accept any peer certificate: encryption without knowing who the peer is. Off unless set.</summary>
    public bool TlsSuppressValidation { get; init; }

    /// <summary>
    /// Reads every setting from configuration: the environment variable <c>SWEEP_SEED_NODES</c>
    /// (added with prefix <c>SWEEP_</c>, so the key is <c>SEED_NODES</c>) wins over
    /// <c>Sweep:SeedNodes</c> from appsettings.json; unset settings keep their defaults.
    /// </summary>
    public static NodeSettings Load(IConfiguration configuration) => Bind(configuration).Validate();

    /// <summary>
    /// The settings as <see cref="Load"/> reads them, not validated: the client takes its SWEEP_TLS_
    /// settings from here, so a client and a node read the same variables the same way.
    /// </summary>
    public static NodeSettings Bind(IConfiguration configuration)
    {
        object settings = new NodeSettings();
        var errors = new List<string>();
        foreach (var property in typeof(NodeSettings).GetProperties().Where(p => p.CanWrite))
        {
            var key = JsonNamingPolicy.SnakeCaseUpper.ConvertName(property.Name);
            var value = configuration[key] ?? configuration["Sweep:" + property.Name];
            if (value is null) continue;
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            try
            {
                property.SetValue(settings, Convert.ChangeType(value, type, CultureInfo.InvariantCulture));
            }
            catch (FormatException)
            {
                errors.Add($"SWEEP_{key}: '{value}' is not a valid {type.Name.ToLowerInvariant()}");
            }
        }
        if (errors.Count > 0) throw new ArgumentException("invalid node settings:\n  " + string.Join("\n  ", errors));
        return (NodeSettings)settings;
    }

    /// <summary>The database of the journal, snapshots and results; a bare SQLite path is made absolute.</summary>
    public DatabaseSettings Database() =>
        DatabaseProvider == "sqlite" && !DatabaseConnection.Contains('=')
            ? DatabaseSettings.Sqlite(Path.GetFullPath(DatabaseConnection))
            : DatabaseSettings.Create(DatabaseProvider, DatabaseConnection);

    public IReadOnlyList<string> RoleList => Split(Roles);
    public IReadOnlyList<string> SeedNodeList => Split(SeedNodes);
    public bool IsCoordinator => RoleList.Contains(CoordinatorRole);
    public bool IsWorker => RoleList.Contains(WorkerRole);
    public bool UsesKubernetesDiscovery => Discovery == KubernetesDiscovery;
    public bool UsesTls => !string.IsNullOrEmpty(TlsCertificate);
    /// <summary>The host of this node's Akka.Management contact point, as other nodes' bootstrap sees it.</summary>
    public string AdvertisedManagementHostname => ManagementHostname ?? PublicHostname ?? Hostname;

    /// <summary>The certificate and validation TLS runs with, loaded from their files; null without TLS.</summary>
    /// <exception cref="ArgumentException">A file is missing or unreadable, or the password does not open it.</exception>
    public RemoteTls? Tls()
    {
        if (UsesTls) return RemoteTls.Load(TlsCertificate, TlsKey, TlsPassword, TlsPasswordFile, TlsCa, TlsSuppressValidation);
        // The other settings mean nothing without a certificate: a node given them believes it runs TLS.
        var without = new[] { ("SWEEP_TLS_KEY", TlsKey), ("SWEEP_TLS_PASSWORD", TlsPassword), ("SWEEP_TLS_PASSWORD_FILE", TlsPasswordFile), ("SWEEP_TLS_CA", TlsCa) }
            .Where(s => !string.IsNullOrEmpty(s.Item2)).Select(s => s.Item1)
            .Concat(TlsSuppressValidation ? ["SWEEP_TLS_SUPPRESS_VALIDATION"] : []).ToList();
        return without.Count == 0 ? null
            : throw new ArgumentException($"{string.Join(", ", without)}: set without SWEEP_TLS_CERTIFICATE, which turns TLS on");
    }

    /// <summary>akka.ssl.tcp with TLS, akka.tcp without: the protocol of this node's and its seeds' addresses.</summary>
    public string Protocol => UsesTls ? RemoteTls.Protocol : RemoteTls.PlainProtocol;

    public DataRoots DataRootList() => string.IsNullOrWhiteSpace(DataRoots) ? Training.Data.DataRoots.Default() : Training.Data.DataRoots.Parse(DataRoots);

    /// <summary>What specs submitted to this node's coordinator may ask for.</summary>
    public SpecOptions SpecOptions() => Sweeps.SpecOptions.Confined(DataRootList(), MaxTrials, new DatasetCatalog(DataSettings()).AutoDataset());

    /// <summary>Where this node's workers read and cache data.</summary>
    public DataSettings DataSettings()
    {
        var data = new DataSettings { DataRoots = DataRootList() };
        return CacheDirectory is null ? data : data with { CacheDirectory = CacheDirectory };
    }

    /// <summary>Throws naming every invalid setting and its accepted values.</summary>
    public NodeSettings Validate()
    {
        var errors = new List<string>();
        if (RoleList.Count == 0 || RoleList.Any(r => r is not (CoordinatorRole or WorkerRole)))
            errors.Add($"SWEEP_ROLES: '{Roles}' must list coordinator and/or worker");
        if (Port is < 0 or > 65535) errors.Add($"SWEEP_PORT: {Port} is outside 0..65535");
        if (string.IsNullOrWhiteSpace(Hostname)) errors.Add("SWEEP_HOSTNAME: must not be empty");
        foreach (var seed in SeedNodeList)
            if (!seed.StartsWith($"{Protocol}://sweep@", StringComparison.Ordinal))
                errors.Add($"SWEEP_SEED_NODES: '{seed}' must look like {Protocol}://sweep@host:port" +
                    (UsesTls ? " (TLS is on: SWEEP_TLS_CERTIFICATE is set)" : ""));
        if (Discovery is not (StaticDiscovery or KubernetesDiscovery))
            errors.Add($"SWEEP_DISCOVERY: '{Discovery}' must be static or kubernetes");
        if (UsesKubernetesDiscovery)
        {
            // Bootstrap decides who forms the cluster; seed nodes as well would race it.
            if (SeedNodeList.Count > 0) errors.Add("SWEEP_SEED_NODES: must be empty with SWEEP_DISCOVERY=kubernetes");
            if (string.IsNullOrWhiteSpace(DiscoveryLabelSelector))
                errors.Add("SWEEP_DISCOVERY_LABEL_SELECTOR: required with SWEEP_DISCOVERY=kubernetes, e.g. app.kubernetes.io/name=sweepcluster");
            if (!IPAddress.TryParse(AdvertisedManagementHostname, out _))
                errors.Add($"SWEEP_MANAGEMENT_HOSTNAME: '{AdvertisedManagementHostname}'" + (ManagementHostname is null ? " (from SWEEP_PUBLIC_HOSTNAME)" : "") +
                    " must be the pod's IP, $(POD_IP), with SWEEP_DISCOVERY=kubernetes: bootstrap recognises itself among the listed pods by their IPs");
        }
        if (DiscoveryContactPoints < 1) errors.Add($"SWEEP_DISCOVERY_CONTACT_POINTS: {DiscoveryContactPoints} must be at least 1");
        if (ManagementPort is < 1 or > 65535) errors.Add($"SWEEP_MANAGEMENT_PORT: {ManagementPort} is outside 1..65535");
        if (HealthPort is < 0 or > 65535) errors.Add($"SWEEP_HEALTH_PORT: {HealthPort} is outside 0..65535");
        try
        {
            _ = Database();
        }
        catch (DatabaseSettingsException e)
        {
            errors.Add($"SWEEP_DATABASE_PROVIDER / SWEEP_DATABASE_CONNECTION: {e.Message}");
        }
        if (ThreadsPerSlot < 0) errors.Add($"SWEEP_THREADS_PER_SLOT: {ThreadsPerSlot} must be 0 or more");
        if (DeviceSlots.FuseSeedsError(FuseSeeds) is { } fuseSeeds) errors.Add($"SWEEP_FUSE_SEEDS: {fuseSeeds}");
        if (LeaseSeconds < 1) errors.Add($"SWEEP_LEASE_SECONDS: {LeaseSeconds} must be at least 1");
        if (MaxAttempts < 1) errors.Add($"SWEEP_MAX_ATTEMPTS: {MaxAttempts} must be at least 1");
        if (SnapshotEvery < 1) errors.Add($"SWEEP_SNAPSHOT_EVERY: {SnapshotEvery} must be at least 1");
        if (DownAfterSeconds <= 0) errors.Add($"SWEEP_DOWN_AFTER_SECONDS: {DownAfterSeconds} must be positive");
        try
        {
            _ = DataRootList();
        }
        catch (ArgumentException e)
        {
            errors.Add($"SWEEP_DATA_ROOTS: {e.Message}");
        }
        if (MaxTrials < 1) errors.Add($"SWEEP_MAX_TRIALS: {MaxTrials} must be at least 1");
        if (MaxQueuedTrials < 1) errors.Add($"SWEEP_MAX_QUEUED_TRIALS: {MaxQueuedTrials} must be at least 1");
        if (MaxSubmissionsInFlight < 1) errors.Add($"SWEEP_MAX_SUBMISSIONS_IN_FLIGHT: {MaxSubmissionsInFlight} must be at least 1");
        try
        {
            _ = DeviceSlots.Parse(Devices, ThreadsPerSlot);
        }
        catch (ArgumentException e)
        {
            errors.Add($"SWEEP_DEVICES: {e.Message}");
        }
        try
        {
            using var _ = Tls();
        }
        catch (ArgumentException e)
        {
            errors.Add(e.Message);
        }
        if (errors.Count > 0) throw new ArgumentException("invalid node settings:\n  " + string.Join("\n  ", errors));
        return this;
    }

    static IReadOnlyList<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
