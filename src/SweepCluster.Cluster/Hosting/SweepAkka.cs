using Akka;
using Akka.Actor;
using Akka.Pattern;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Cluster.Tools.Client;
using Akka.Discovery.KubernetesApi;
using Akka.Event;
using Akka.Hosting;
using Akka.Management;
using Akka.Management.Cluster.Bootstrap;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Cluster.Results;
using SweepCluster.Storage;
using SweepCluster.Cluster.Worker;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cluster.Hosting;

/// <summary>
/// The one place that builds a SweepCluster actor system: the node host, embedded mode and the
/// tests all call these, so they run the same configuration.
/// </summary>
public static class SweepAkka
{
    public const string SystemName = "sweep";
    /// <summary>Container port names the Kubernetes manifests must use: bootstrap looks contact points up by name.</summary>
    public const string ManagementPortName = "management";
    public const string RemotingPortName = "akka-remote";
    public const string HealthPortName = "health";

    /// <summary>
    /// The largest serialized message a node or client sends: a submission of a spec at its size
    /// limit (256 KiB) fits, even with JSON escaping its quotes and line breaks, and so do the
    /// status of a sweep of many cells and the list of many sweeps. Akka.Remote's default frame
    /// (128,000 bytes) refused specs from about 125 KB: the client's remoting dropped them and the
    /// client waited 30 s for an answer that could not come.
    /// </summary>
    public const int MaxPayloadBytes = 1 << 20;

    /// <summary>Akka.Remote's frame: a payload of <see cref="MaxPayloadBytes"/> and room for its envelope (recipient, sender, manifests).</summary>
    public const int MaxFrameBytes = MaxPayloadBytes + 64 * 1024;

    /// <summary>Remoting on an interface and port with frames of <see cref="MaxFrameBytes"/>; the socket buffers follow Akka's advice to hold a whole frame.</summary>
    public static RemoteOptions Remoting(string hostname, int port, string? publicHostname = null) => new()
    {
        HostName = hostname,
        Port = port,
        PublicHostName = publicHostname ?? hostname,
        MaxFrameSize = MaxFrameBytes,
        SendBufferSize = MaxFrameBytes,
        ReceiveBufferSize = MaxFrameBytes,
    };

    /// <summary>
    /// Remoting on the configured interface, over TLS when the settings name a certificate, and the
    /// cluster with its downing; the cluster is found through static seed nodes (or joining itself),
    /// or through Kubernetes cluster bootstrap.
    /// </summary>
    public static AkkaConfigurationBuilder ConfigureNetwork(this AkkaConfigurationBuilder builder, NodeSettings settings)
    {
        var remoting = Remoting(settings.Hostname, settings.Port, settings.PublicHostname);
        // Loaded for the lifetime of the actor system, which keeps using the certificate.
        var tls = settings.Tls();
        if (tls is not null)
        {
            tls.ApplyTo(remoting);
            builder.AddStartup((system, _) => system.Log.Info(tls.Describe()));
        }
        builder
            .WithRemoting(remoting)
            .WithClustering(new ClusterOptions
            {
                Roles = settings.RoleList.ToArray(),
                SeedNodes = settings.SeedNodeList.ToArray(),
                // Keep the side with the oldest node (the first coordinator); if that node is cut
                // off alone, it is the one downed, so a lost coordinator never takes the workers with it.
                SplitBrainResolver = new KeepOldestOption { DownIfAlone = true },
            })
            .AddHocon($"akka.cluster.split-brain-resolver.stable-after = {settings.DownAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}s",
                HoconAddMode.Prepend);
        if (settings.UsesKubernetesDiscovery) return builder.ConfigureKubernetesBootstrap(settings);
        if (settings.SeedNodeList.Count == 0)
            builder.AddStartup((system, _) => Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress));
        return builder;
    }

    /// <summary>
    /// Akka.Management serves bootstrap's contact-point HTTP API on the management port; bootstrap
    /// lists the pods matching the label selector through the Kubernetes API, probes them, and the
    /// lowest-addressed one forms the cluster when none exists yet, so no seed nodes are needed.
    /// The advertised management host is the pod IP even where remoting advertises a DNS name (the
    /// coordinators): the lowest-addressed pod knows it is itself only by finding that host among
    /// the listed pods' IPs.
    /// </summary>
    static AkkaConfigurationBuilder ConfigureKubernetesBootstrap(this AkkaConfigurationBuilder builder, NodeSettings settings) => builder
        .WithAkkaManagement(setup =>
        {
            setup.Http.HostName = settings.AdvertisedManagementHostname;
            setup.Http.Port = settings.ManagementPort;
            setup.Http.BindHostName = settings.Hostname;
            setup.Http.BindPort = settings.ManagementPort;
        })
        .WithClusterBootstrap(options =>
        {
            options.ContactPointDiscovery.ServiceName = SystemName;
            options.ContactPointDiscovery.PortName = ManagementPortName;
            options.ContactPointDiscovery.RequiredContactPointsNr = settings.DiscoveryContactPoints;
        })
        .WithKubernetesDiscovery(options =>
        {
            options.PodLabelSelector = settings.DiscoveryLabelSelector;
        });

    /// <summary>/alive and /ready on <see cref="NodeSettings.HealthPort"/> of the remoting interface, closed when the actor system terminates.</summary>
    public static AkkaConfigurationBuilder ConfigureHealth(this AkkaConfigurationBuilder builder, NodeSettings settings)
    {
        if (settings.HealthPort == 0) return builder;
        return builder.AddStartup((system, _) =>
        {
            var endpoint = HealthEndpoint.Start(system, settings.Hostname, settings.HealthPort);
            system.WhenTerminated.ContinueWith(_ => endpoint.Dispose(), TaskScheduler.Default);
        });
    }

    /// <summary>Binds <see cref="SweepMessageSerializer"/> to every cluster message and journal event.</summary>
    public static AkkaConfigurationBuilder ConfigureSerialization(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("sweep-json", [typeof(ISweepMessage)], system => new SweepMessageSerializer(system));

    /// <summary>Journal and snapshot store in the SQL database (linq2db provider name, e.g. "SQLite.MS", "PostgreSQL.15").</summary>
    public static AkkaConfigurationBuilder ConfigurePersistence(this AkkaConfigurationBuilder builder, string connectionString, string providerName) =>
        builder.WithSqlPersistence(connectionString, providerName, autoInitialize: true);

    /// <summary>
    /// The coordinator singleton (on coordinator nodes) and a proxy to it (on every node),
    /// registered with the ClusterClient receptionist so clients outside the cluster can reach it.
    /// </summary>
    public static AkkaConfigurationBuilder ConfigureCoordinator(this AkkaConfigurationBuilder builder, NodeSettings settings, ResultsStore store)
    {
        var options = new ClusterSingletonOptions { Role = NodeSettings.CoordinatorRole };
        if (settings.IsCoordinator)
        {
            var coordinatorSettings = new CoordinatorSettings(TimeSpan.FromSeconds(settings.LeaseSeconds), settings.SpecOptions(), settings.MaxAttempts,
                settings.SnapshotEvery, settings.MaxQueuedTrials);
            // A persistent actor stops when the journal fails (PostgreSQL restarting, say), and a
            // singleton manager does not restart what stopped: the backoff supervisor does, and the
            // coordinator recovers from the journal once the database answers again.
            var supervised = BackoffSupervisor.Props(Backoff.OnStop(SweepCoordinator.Props(coordinatorSettings), SweepCoordinator.Name,
                TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15), 0.2, maxNrOfRetries: -1));
            builder.WithSingleton<SweepCoordinator>(SweepCoordinator.Name, supervised, options, createProxyToo: true);
            // The read journal's constructor asks its journal with a 5 s timeout, which a loaded
            // node can miss (seen in the benchmarks); the failure would stop the projection for
            // good (a failed start stops an actor), so it is restarted with backoff like the coordinator.
            var projection = BackoffSupervisor.Props(Backoff.OnStop(ResultsProjection.Props(store), ResultsProjection.Name,
                TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15), 0.2, maxNrOfRetries: -1));
            builder.WithSingleton<ResultsProjection>(ResultsProjection.Name, projection, options, createProxyToo: false);
        }
        else
        {
            builder.WithSingletonProxy<SweepCoordinator>(SweepCoordinator.Name, options);
        }
        return builder
            .WithClusterClientReceptionist()
            .WithActors((system, registry) =>
            {
                var gateway = system.ActorOf(ClientGateway.Props(registry.Get<SweepCoordinator>(), settings.MaxSubmissionsInFlight), ClientGateway.Name);
                ClusterClientReceptionist.Get(system).RegisterService(gateway);
            });
    }

    /// <summary>One <see cref="TrialWorker"/> per device slot; on shutdown each hands back its trial before the node leaves.</summary>
    public static AkkaConfigurationBuilder ConfigureWorkers(this AkkaConfigurationBuilder builder, NodeSettings settings, DatasetCatalog catalog)
    {
        if (!settings.IsWorker) return builder;
        var slots = DeviceSlots.Parse(settings.Devices, settings.ThreadsPerSlot);
        return builder.WithActors((system, registry) =>
        {
            var coordinator = registry.Get<SweepCoordinator>();
            var runner = new TrialRunner(catalog);
            var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
            var workers = slots.Select((options, i) => system.ActorOf(
                TrialWorker.Props($"{self.Host}:{self.Port}/{options.Device}#{i}", coordinator, runner, options,
                    DeviceSlots.FuseSeeds(options.Device, settings.FuseSeeds)), $"worker-{i}")).ToList();
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseClusterExiting, "drain-workers", async () =>
            {
                await Task.WhenAll(workers.Select(w => w.GracefulStop(TimeSpan.FromSeconds(10), TrialWorker.Drain.Instance)));
                return Done.Instance;
            });
        });
    }
}
