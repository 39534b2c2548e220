using System.Collections.Immutable;
using System.Reflection;
using Akka.Actor;
using Akka.Discovery;
using Akka.Discovery.KubernetesApi;
using Akka.Hosting;
using Akka.Management.Cluster.Bootstrap;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SweepCluster.Cli.Tests;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Cluster.Tests;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// Cluster bootstrap as a pod of the manifests runs it: no seed nodes, so the cluster forms only
/// when the lowest-addressed pod recognises itself among the pods the Kubernetes API lists. The
/// node's own Akka.Management contact point is compared with the targets Akka.Discovery.KubernetesApi
/// builds from the pod, by Akka.Management's own join decider.
/// </summary>
public sealed class BootstrapTests
{
    public static TheoryData<string, string> Pods
    {
        get
        {
            var pods = new TheoryData<string, string>();
            // TLS, GPUs and the database change nothing bootstrap reads; a release name changes the selector.
            foreach (var deployment in new[] { Deployment.K8s.Name, "chart", "chart: release prod, CPU workers" })
                foreach (var component in new[] { "coordinator", "worker" }) pods.Add(deployment, component);
            return pods;
        }
    }

    [Theory]
    [MemberData(nameof(Pods))]
    public async Task The_lowest_addressed_pod_forms_the_cluster_whatever_its_role(string deployment, string component)
    {
        var templates = Deployment.Named(deployment).NodeTemplates;
        var template = templates[component];
        // The other node pod has a higher IP: this one must decide to join itself.
        var self = Pod(template, "10.12.0.7");
        var other = Pod(templates[component == "coordinator" ? "worker" : "coordinator"], "10.12.0.9");
        // TLS makes no difference to bootstrap, which speaks HTTP; its files are checked elsewhere.
        var env = Deployment.Env(template).Where(e => !e.Key.StartsWith("SWEEP_TLS_", StringComparison.Ordinal));
        var settings = NodeEnvironment.Settings(env, podName: self.Metadata.Name, podIp: self.Status.PodIP);
        settings = settings with { Port = 0, ManagementPort = ListeningSockets.FreePort() };
        SetManagementPort(self, settings.ManagementPort);

        using var host = await StartBootstrap(settings);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var decider = new LowestAddressJoinDecider(system, ClusterBootstrapSettings.Create(system.Settings.Config, system.Log));
        var targets = Targets([self, other]);
        var longAgo = DateTimeOffset.UtcNow.AddMinutes(-10);
        var info = new SeedNodesInformation(DateTimeOffset.UtcNow, longAgo, targets.ToImmutableHashSet(),
            targets.Select(t => new SeedNodesObservation(longAgo, t, new Address("akka.tcp", SweepAkka.SystemName, t.Address!.ToString(), 4053),
                ImmutableHashSet<Address>.Empty)).ToImmutableHashSet());
        var decision = await decider.Decide(info);
        Assert.True(decision is JoinSelf, $"{component} at {self.Status.PodIP} decided {decision.GetType().Name}, not JoinSelf: " +
            $"it advertises management at {settings.AdvertisedManagementHostname}, discovery lists {string.Join(", ", targets.Select(t => $"{t.Host} ({t.Address})"))}");
        await host.StopAsync();
    }

    /// <summary>A running pod of this template, as the Kubernetes API lists it.</summary>
    static V1Pod Pod(V1PodTemplateSpec template, string ip) => new()
    {
        Metadata = new V1ObjectMeta { Name = $"{template.Metadata.Labels["app.kubernetes.io/component"]}-{ip.Replace('.', '-')}", Labels = template.Metadata.Labels },
        Spec = KubernetesJsonCopy(template.Spec),
        Status = new V1PodStatus { Phase = "Running", PodIP = ip },
    };

    static V1PodSpec KubernetesJsonCopy(V1PodSpec spec) => k8s.KubernetesJson.Deserialize<V1PodSpec>(k8s.KubernetesJson.Serialize(spec));

    static void SetManagementPort(V1Pod pod, int port) =>
        pod.Spec.Containers.Single().Ports.Single(p => p.Name == SweepAkka.ManagementPortName).ContainerPort = port;

    /// <summary>
    /// The contact points Akka.Discovery.KubernetesApi makes of listed pods. Its own translation
    /// (internal) is called, so the test compares with what bootstrap really sees, not a copy of it.
    /// </summary>
    static IReadOnlyList<ServiceDiscovery.ResolvedTarget> Targets(IList<V1Pod> pods)
    {
        var method = typeof(KubernetesApiServiceDiscovery).GetMethod("Targets", BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new MissingMethodException(nameof(KubernetesApiServiceDiscovery), "Targets");
        var arguments = method.GetParameters().Select(object? (p) => p.Name switch
        {
            "podList" => new V1PodList { Items = pods },
            "portName" => SweepAkka.ManagementPortName,
            "podNamespace" => "sweepcluster",
            "podDomain" => "cluster.local",
            "rawIp" => false,
            "containerName" => null,
            var name => throw new NotSupportedException($"KubernetesApiServiceDiscovery.Targets has a new parameter '{name}'"),
        }).ToArray();
        return ((IEnumerable<ServiceDiscovery.ResolvedTarget>)method.Invoke(null, arguments)!).ToList();
    }

    /// <summary>The node's network and bootstrap configuration, as SweepAkka sets it up, in a running host.</summary>
    static async Task<IHost> StartBootstrap(NodeSettings settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddAkka(SweepAkka.SystemName, (akka, _) => akka
            .AddHocon("akka.loglevel = ERROR", HoconAddMode.Prepend)
            .ConfigureNetwork(settings));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
