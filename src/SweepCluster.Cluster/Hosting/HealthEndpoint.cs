using System.Net;
using Akka.Actor;
using Akka.Cluster;

namespace SweepCluster.Cluster.Hosting;

/// <summary>
/// Liveness and readiness for Kubernetes probes on their own port, so a NetworkPolicy can close
/// remoting and management to everything but cluster members while the kubelet still probes.
/// <c>/alive</c>: the actor system is running. <c>/ready</c>: this node is an Up member of the
/// cluster; it turns 503 as soon as the node starts leaving.
/// </summary>
public sealed class HealthEndpoint : IDisposable
{
    readonly HttpListener _listener = new();
    readonly ActorSystem _system;

    HealthEndpoint(ActorSystem system, int port)
    {
        _system = system;
        // "+" binds every interface: the kubelet probes the pod IP.
        _listener.Prefixes.Add($"http://+:{port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public static HealthEndpoint Start(ActorSystem system, int port) => new(system, port);

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
