using System.CommandLine;
using Akka.Actor;
using Microsoft.Extensions.Configuration;
using SweepCluster.Cluster.Client;
using SweepCluster.Cluster.Hosting;

namespace SweepCluster.Cli.Commands;

/// <summary>
/// The options every command that talks to a running coordinator shares, and the connection they
/// make. TLS comes from the SWEEP_TLS_* variables a node reads (docs/cluster.md#tls), so a client
/// in a node's environment (a pod, a shell with them exported) talks to its cluster as it is.
/// </summary>
public sealed class ClusterConnection
{
    /// <summary>Where <c>sweep run</c> listens by default, so a second terminal can watch it.</summary>
    public const string DefaultContact = "akka.tcp://sweep@127.0.0.1:4053";

    readonly Option<string> _cluster = new("--cluster")
    {
        Description = "A node of the cluster, akka.tcp://sweep@host:port, or akka.ssl.tcp://sweep@host:port with TLS " +
            "(SWEEP_TLS_* variables, docs/cluster.md) (default: $SWEEP_CLUSTER, else a local `sweep run`)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SWEEP_CLUSTER") ?? DefaultContact,
    };

    readonly Option<string?> _hostname = new("--client-hostname")
    {
        Description = "Interface this client listens on for replies (default: loopback for a local cluster, else the host name)",
    };

    /// <summary>Adds --cluster and --client-hostname to the command.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_cluster);
        command.Options.Add(_hostname);
    }

    /// <summary>
    /// Connects, runs <paramref name="act"/> with the client and returns its exit code. Settings the
    /// client cannot use are an error (2); a cluster that never answers is one too (1), said plainly.
    /// </summary>
    public async Task<int> RunAsync(ParseResult parse, CancellationToken cancellation, Func<SweepClient, Task<int>> act)
    {
        var contact = parse.GetValue(_cluster)!;
        SweepClient client;
        try
        {
            // Not disposed: the client's remoting presents the certificate on every connection it makes.
            var tls = NodeSettings.Bind(new ConfigurationBuilder().AddEnvironmentVariables("SWEEP_").Build()).Tls();
            client = await SweepClient.ConnectAsync(contact, parse.GetValue(_hostname), tls, cancellation);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        await using (client)
        {
            try
            {
                return await act(client);
            }
            catch (AskTimeoutException)
            {
                Console.Error.WriteLine($"error: no answer from {contact}: is a node of the cluster listening there, with the same TLS settings (SWEEP_TLS_*) as this client?");
                return 1;
            }
            catch (MessageTooLargeException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
            catch (ClientStoppedException e)
            {
                Console.Error.WriteLine($"error: {e.Message} (are SWEEP_TLS_* the cluster's? docs/cluster.md#tls)");
                return 1;
            }
        }
    }
}
