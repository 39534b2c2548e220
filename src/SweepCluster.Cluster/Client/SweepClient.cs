using System.Net;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Tools.Client;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Cluster.Protocol;

namespace SweepCluster.Cluster.Client;

/// <summary>
/// How the console client talks to a coordinator: through ClusterClient to a running cluster
/// (<see cref="ConnectAsync"/>), or directly to the coordinator of a node in this process
/// (<see cref="Local"/>, embedded mode). Every command goes through <see cref="AskAsync{T}"/>.
/// </summary>
public sealed class SweepClient : IAsyncDisposable
{
    sealed class ClusterClientKey;

    /// <summary>How long a command waits for its answer unless it says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    readonly Func<ISweepMessage, TimeSpan, Task<object>> _ask;
    readonly Func<ValueTask> _dispose;

    SweepClient(Func<ISweepMessage, TimeSpan, Task<object>> ask, Func<ValueTask> dispose)
    {
        _ask = ask;
        _dispose = dispose;
    }

    /// <summary>A client of the coordinator of <paramref name="node"/>; disposing it leaves the node running.</summary>
    public static SweepClient Local(SweepNode node) =>
        new((message, timeout) => node.Coordinator.Ask<object>(message, timeout), () => ValueTask.CompletedTask);

    /// <param name="contactPoint">A cluster node, akka.tcp://sweep@host:port (akka.ssl.tcp:// with TLS).</param>
    /// <param name="hostname">
    /// The interface this client listens on for replies; it must be reachable from the cluster.
    /// Defaults to loopback for a loopback contact point, else this machine's host name.
    /// </param>
    /// <param name="tls">TLS as the cluster's nodes run it; null for a cluster on plain TCP.</param>
    public static async Task<SweepClient> ConnectAsync(string contactPoint, string? hostname = null, RemoteTls? tls = null, CancellationToken cancellation = default)
    {
        var protocol = RemoteTls.ProtocolOf(tls);
        if (!ActorPath.TryParseAddress(contactPoint, out var address) || address.Host is null || address.Port is null)
            throw new ArgumentException($"--cluster '{contactPoint}' is not an address like {protocol}://sweep@host:4053");
        if (address.Protocol != protocol)
            throw new ArgumentException($"--cluster '{contactPoint}': " + (tls is null
                ? $"this client has no TLS settings (SWEEP_TLS_CERTIFICATE is unset), so the address is {protocol}://sweep@host:port"
                : $"this client runs TLS (SWEEP_TLS_CERTIFICATE is set), so the address is {protocol}://sweep@host:port"));
        var loopback = address.Host is "localhost" || (IPAddress.TryParse(address.Host, out var ip) && IPAddress.IsLoopback(ip));
        hostname ??= loopback ? "127.0.0.1" : Dns.GetHostName();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders();
        builder.Services.AddAkka(SweepAkka.SystemName + "-client", (akka, _) => akka
            // The client's own remoting chatter (connections closing at exit) would only clutter the console.
            .AddHocon("akka.loglevel = ERROR", HoconAddMode.Prepend)
            .WithRemoting(tls is null ? SweepAkka.Remoting(hostname, 0) : tls.ApplyTo(SweepAkka.Remoting(hostname, 0)))
            .ConfigureSerialization()
            .WithClusterClient<ClusterClientKey>([ActorPath.Parse($"{address}/system/receptionist")]));
        var host = builder.Build();
        await host.StartAsync(cancellation);
        var client = host.Services.GetRequiredService<IRequiredActor<ClusterClientKey>>().ActorRef;
        var system = host.Services.GetRequiredService<ActorSystem>();
        return new SweepClient(
            async (message, timeout) =>
            {
                RefuseOversized(system, message);
                var ask = client.Ask<object>(new ClusterClient.Send(ClientGateway.Path, message), timeout);
                // Akka.Remote stops the client's actor system when a TLS handshake it starts fails
                // (the node's certificate is not trusted, or the node runs no TLS): say so at once.
                if (await Task.WhenAny(ask, system.WhenTerminated) == ask) return await ask;
                throw new ClientStoppedException($"the client stopped before {address} answered: {CoordinatedShutdown.Get(system).ShutdownReason}");
            },
            async () =>
            {
                await host.StopAsync();
                host.Dispose();
            });
    }

    /// <summary>
    /// Remoting drops a message over its frame size with nothing but a log line, and the client
    /// would wait for an answer that cannot come: say at once what is too large instead.
    /// </summary>
    /// <exception cref="MessageTooLargeException">The message encodes to more than <see cref="SweepAkka.MaxPayloadBytes"/>.</exception>
    static void RefuseOversized(ActorSystem system, ISweepMessage message)
    {
        var size = system.Serialization.FindSerializerFor(message).ToBinary(message).Length;
        if (size <= SweepAkka.MaxPayloadBytes) return;
        var what = message is SubmitSweep submit ? $"the spec {submit.SourceName}" : message.GetType().Name;
        throw new MessageTooLargeException($"{what} encodes to {size:N0} bytes, over the {SweepAkka.MaxPayloadBytes:N0} bytes one message to the cluster may carry");
    }

    /// <summary>Sends a command or query and waits for the reply of the expected type.</summary>
    /// <exception cref="MessageTooLargeException">The message is too large to send.</exception>
    public async Task<T> AskAsync<T>(ISweepMessage message, TimeSpan? timeout = null)
    {
        var reply = await _ask(message, timeout ?? DefaultTimeout);
        return reply is T typed
            ? typed
            : throw new InvalidOperationException($"the coordinator answered {reply.GetType().Name} to {message.GetType().Name}");
    }

    public ValueTask DisposeAsync() => _dispose();
}

/// <summary>The client's actor system stopped while a question was out, for the reason the message gives.</summary>
public sealed class ClientStoppedException(string message) : Exception(message);

/// <summary>A message too large for the cluster's remoting; the message says which and by how much.</summary>
public sealed class MessageTooLargeException(string message) : Exception(message);
