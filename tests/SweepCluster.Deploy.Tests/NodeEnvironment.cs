using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using SweepCluster.Cluster.Hosting;

namespace SweepCluster.Deploy.Tests;

/// <summary>What the environment of a node's container may and must hold: one rule for k8s/ and the Helm chart.</summary>
public static class NodeEnvironment
{
    /// <summary>The SWEEP_ variables NodeSettings reads, named as NodeSettings.Load maps its properties.</summary>
    static readonly IReadOnlySet<string> NodeVariables = typeof(NodeSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite)
        .Select(p => "SWEEP_" + JsonNamingPolicy.SnakeCaseUpper.ConvertName(p.Name))
        .ToHashSet();

    /// <summary>What a node in a pod must be told: the defaults are for one machine.</summary>
    static readonly IReadOnlyList<string> RequiredInPods =
    [
        "SWEEP_ROLES", "SWEEP_HOSTNAME", "SWEEP_PUBLIC_HOSTNAME", "SWEEP_DISCOVERY", "SWEEP_DISCOVERY_LABEL_SELECTOR", "SWEEP_MANAGEMENT_HOSTNAME",
        "SWEEP_HEALTH_PORT", "SWEEP_DATABASE_PROVIDER", "SWEEP_DATABASE_CONNECTION",
    ];

    /// <summary>Variables that are no setting but that SWEEP_ values refer to as $(NAME): the pod's name and IP, the database credentials.</summary>
    static readonly IReadOnlyList<string> Helpers = ["POD_NAME", "POD_IP", "DATABASE_USERNAME", "DATABASE_PASSWORD", "DATABASE_NAME"];

    /// <summary>
    /// The node settings of a pod's env values, as the node reads and validates them at start, with
    /// $(POD_NAME) and $(POD_IP) expanded as Kubernetes would for a pod of that name and IP.
    /// </summary>
    public static NodeSettings Settings(IEnumerable<KeyValuePair<string, string>> podEnv, string podName = "pod-0", string podIp = "10.0.0.7")
    {
        var env = podEnv.Where(e => e.Key.StartsWith("SWEEP_", StringComparison.Ordinal))
            .ToDictionary(e => e.Key["SWEEP_".Length..], e => (string?)e.Value.Replace("$(POD_NAME)", podName).Replace("$(POD_IP)", podIp));
        // SWEEP_DEVICES=auto counts CUDA devices, which needs libtorch; the rest is what a pod validates at start.
        env["DEVICES"] = "cpu";
        return NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(env).Build());
    }

    /// <summary>One env entry in its order: a plain value, or null for one from valueFrom.</summary>
    public sealed record Entry(string Name, string? Value);

    /// <summary>
    /// Every SWEEP_ name is one NodeSettings reads, every one a pod needs is there, any other name is a
    /// known helper, and each $(NAME) refers to an entry above it (Kubernetes expands only those).
    /// </summary>
    public static void AssertValid(string component, IReadOnlyList<Entry> env)
    {
        var names = env.Select(e => e.Name).ToList();
        var unknown = names.Where(n => n.StartsWith("SWEEP_", StringComparison.Ordinal) && !NodeVariables.Contains(n)).ToList();
        Assert.True(unknown.Count == 0, $"{component} sets variables no setting reads: {string.Join(", ", unknown)}");
        Assert.Empty(RequiredInPods.Except(names));
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var e in env.Where(e => e.Value is not null))
            foreach (Match m in Regex.Matches(e.Value!, @"\$\(([A-Z_]+)\)"))
                Assert.True(names.IndexOf(m.Groups[1].Value) is var i && i >= 0 && i < names.IndexOf(e.Name),
                    $"{component}: {e.Name} uses $({m.Groups[1].Value}) before it is defined");
        Assert.All(names.Where(n => !n.StartsWith("SWEEP_", StringComparison.Ordinal)), n => Assert.Contains(n, Helpers));
    }
}
