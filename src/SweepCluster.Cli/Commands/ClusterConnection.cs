using System.CommandLine;
using SweepCluster.Cluster.Client;

namespace SweepCluster.Cli.Commands;

/// <summary>The options every command that talks to a running coordinator shares.</summary>
public static class ClusterConnection
{
    /// <summary>Where <c>sweep run</c> listens by default, so a second terminal can watch it.</summary>
    public const string DefaultContact = "akka.tcp://sweep@127.0.0.1:4053";

    public static Option<string> ClusterOption() => new("--cluster")
    {
        Description = "A node of the cluster, akka.tcp://sweep@host:port (default: a local `sweep run`)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SWEEP_CLUSTER") ?? DefaultContact,
    };

    public static Option<string?> ClientHostnameOption() => new("--client-hostname")
    {
        Description = "Interface this client listens on for replies (default: loopback for a local cluster, else the host name)",
    };

    public static Task<SweepClient> ConnectAsync(ParseResult parse, Option<string> cluster, Option<string?> hostname, CancellationToken cancellation) =>
        SweepClient.ConnectAsync(parse.GetValue(cluster)!, parse.GetValue(hostname), cancellation);
}
