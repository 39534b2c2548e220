using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SweepCluster.Cluster.Coordinator;
using SweepCluster.Storage;
using SweepCluster.Training.Data;

namespace SweepCluster.Cluster.Hosting;

/// <summary>
/// A running SweepCluster node: an actor system with the roles of its <see cref="NodeSettings"/>,
/// hosted by Microsoft.Extensions.Hosting. <c>sweep node</c> runs one until SIGTERM; <c>sweep run</c>
/// runs one with both roles in-process (embedded mode); the tests start them too.
/// </summary>
public sealed class SweepNode : IAsyncDisposable
{
    readonly IHost _host;

    SweepNode(IHost host, NodeSettings settings)
    {
        _host = host;
        Settings = settings;
        System = host.Services.GetRequiredService<ActorSystem>();
        Coordinator = host.Services.GetRequiredService<IRequiredActor<SweepCoordinator>>().ActorRef;
    }

    public NodeSettings Settings { get; }
    public ActorSystem System { get; }
    /// <summary>The coordinator singleton, through this node's proxy.</summary>
    public IActorRef Coordinator { get; }
    public Akka.Actor.Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;

    /// <param name="logLevel">Akka's log level: INFO for nodes, WARNING where a console UI owns the terminal.</param>
    public static async Task<SweepNode> StartAsync(NodeSettings settings, DatasetCatalog catalog,
        string logLevel = "INFO", CancellationToken cancellation = default)
    {
        settings.Validate();
        var database = settings.Database();
        var store = new ResultsStore(database);
        // Creates the results tables and, on SQLite, switches the file to WAL so the journal and
        // the projection can write side by side.
        await store.EnsureSchemaAsync(cancellation);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, OwnedLifetime>();
        builder.Services.AddAkka(SweepAkka.SystemName, (akka, _) => akka
            .AddHocon($"akka.loglevel = {logLevel}", HoconAddMode.Prepend)
            // The node stops when its owner disposes it, not behind its back: with this hook on,
            // Ctrl-C started Akka's coordinated shutdown at once (seen with Akka.NET 1.5.73), and
            // `sweep run`, still asking the stopping coordinator for the sweep's status, waited out
            // the ask's 30 s and died with a stack trace instead of stopping cleanly.
            .AddHocon("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off", HoconAddMode.Prepend)
            .ConfigureNetwork(settings)
            .ConfigureHealth(settings)
            .ConfigureSerialization()
            .ConfigurePersistence(database.ConnectionString, database.Linq2DbProviderName)
            .ConfigureCoordinator(settings, store)
            .ConfigureWorkers(settings, catalog));
        var host = builder.Build();
        await host.StartAsync(cancellation);
        return new SweepNode(host, settings);
    }

    /// <summary>Completes when the actor system has terminated (the node left the cluster or was downed).</summary>
    public Task WhenTerminated => System.WhenTerminated;

    /// <summary>The longest <see cref="DisposeAsync"/> waits for the node to leave the cluster (the drain of each worker takes at most 10 s of it).</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Leaves the cluster gracefully: workers hand back their trials, then the system stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(StopTimeout);
        _host.Dispose();
    }
}

/// <summary>
/// The host's lifetime: it starts and stops when <see cref="SweepNode"/> says. The default,
/// ConsoleLifetime, also stops the host by itself on Ctrl-C and SIGTERM, racing the command that
/// owns the node; the commands handle those signals and stop the node themselves, after reporting.
/// </summary>
sealed class OwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
