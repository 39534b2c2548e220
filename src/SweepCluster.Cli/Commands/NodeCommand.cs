using System.CommandLine;
using Akka.Actor;
using Microsoft.Extensions.Configuration;
using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Training.Data;

namespace SweepCluster.Cli.Commands;

/// <summary><c>sweep node</c>: one cluster node, its roles and everything else from appsettings.json and SWEEP_* variables, its devices also from options.</summary>
public static class NodeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "appsettings.json to read (default: ./appsettings.json when present)" };
        var devices = new DeviceOptions(fromSettings: true);
        var command = new Command("node", "Run a cluster node (coordinator, worker or both); settings from appsettings.json and SWEEP_* environment variables, see docs/cluster.md")
        {
            config,
        };
        devices.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            NodeSettings settings;
            try
            {
                var file = parse.GetValue(config)?.FullName ?? Path.GetFullPath("appsettings.json");
                if (parse.GetValue(config) is { Exists: false } missing) throw new ArgumentException($"--config {missing.FullName}: no such file");
                // The options win over both, so they apply before validation: a bad SWEEP_DEVICES they replace stops nothing.
                settings = devices.Apply(parse, NodeSettings.Bind(new ConfigurationBuilder()
                    .AddJsonFile(file, optional: true)
                    .AddEnvironmentVariables("SWEEP_")
                    .Build())).Validate();
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or FormatException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            await using var node = await SweepNode.StartAsync(settings, new DatasetCatalog(settings.DataSettings()), "INFO", cancellation);
            Console.WriteLine($"node {node.Address} up: roles {settings.Roles}, devices {settings.Devices}, database {settings.Database()}");

            // SIGTERM (Kubernetes, systemd) and Ctrl-C cancel the token (Program.cs): the node then
            // leaves the cluster gracefully as it is disposed, its workers handing back their trials first.
            var first = await Task.WhenAny(node.WhenTerminated, Task.Delay(Timeout.Infinite, cancellation).ContinueWith(_ => { }));
            if (first == node.WhenTerminated)
            {
                // Stopped by the cluster, not asked to: downed, or Akka.Remote refused a peer's TLS
                // certificate on a connection this node made. Akka gives each reason its exit code.
                var reason = CoordinatedShutdown.Get(node.System).ShutdownReason;
                Console.WriteLine($"node {node.Address} stopped: {reason}");
                return reason?.ExitCode ?? 1;
            }
            Console.WriteLine($"node {node.Address} leaving the cluster");
            return 0;
        });
        return command;
    }
}
