using System.Net;
using Akka.Actor;
using Akka.Cluster;

namespace SweepCluster.Cluster.Hosting;

/// <summary>
/// Liveness and readiness for Kubernetes probes on their own port, so a NetworkPolicy can close
/// remoting and management to everything but cluster members while the kubelet still probes.
/// <c>/alive</c>: the actor system is running. <c>/ready</c>: this node is an Up member of the
/// cluster; it turns 503 as soon as the node starts leaving. It listens on the interface remoting
/// binds to, <see cref="NodeSettings.Hostname"/>: the kubelet probes the pod IP, which the
/// manifests' 0.0.0.0 covers, as would the pod IP itself.
/// </summary>
public sealed class HealthEndpoint : IDisposable
{
    readonly HttpListener _listener = new();
    readonly ActorSystem _system;

    HealthEndpoint(ActorSystem system, string hostname, int port)
    {
        _system = system;
        _listener.Prefixes.Add($"http://{PrefixHost(hostname)}:{port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    /// <param name="hostname">The interface to listen on: an address or a name; 0.0.0.0 or :: for every interface.</param>
    public static HealthEndpoint Start(ActorSystem system, string hostname, int port) => new(system, hostname, port);

    /// <summary>
    /// The host part of the listener's prefix. HttpListener refuses 0.0.0.0 and writes "every
    /// interface" as "+"; an IPv6 address needs its brackets. A prefix with a host also answers
    /// only requests addressed to that host, which is how the kubelet addresses its probes.
    /// </summary>
    static string PrefixHost(string hostname) =>
        !IPAddress.TryParse(hostname, out var address) ? hostname
        : address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "+"
        : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]"
        : hostname;

    async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return; // stopped
            }
            var (status, body) = Check(context.Request.Url?.AbsolutePath);
            context.Response.StatusCode = status;
            var bytes = System.Text.Encoding.UTF8.GetBytes(body + "\n");
            context.Response.ContentType = "text/plain";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    (int Status, string Body) Check(string? path)
    {
        var alive = !_system.WhenTerminated.IsCompleted;
        switch (path)
        {
            case "/alive":
                return alive ? (200, "alive") : (503, "actor system terminated");
            case "/ready":
                if (!alive) return (503, "actor system terminated");
                var status = Akka.Cluster.Cluster.Get(_system).SelfMember.Status;
                return status == MemberStatus.Up ? (200, "ready") : (503, $"member status {status}");
            default:
                return (404, "try /alive or /ready");
        }
    }

    public void Dispose() => _listener.Close();
}
