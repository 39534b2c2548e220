using k8s;
using k8s.Models;
using SweepCluster.Cli.Tests;
using SweepCluster.Cluster.Hosting;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// The objects of every deployment (k8s/, and the chart rendered with each variation of its
/// values) refer to each other correctly: selectors select the pods they are for, named ports are
/// the ones the node settings and the probes use, the network policies admit exactly who needs
/// each port, and every node pod's settings are ones NodeSettings reads and accepts.
/// </summary>
public sealed class DeploymentTests
{
    [Theory]
    [MemberData(nameof(Deployment.Names), MemberType = typeof(Deployment))]
    public void Workload_selectors_match_their_pod_templates_and_the_headless_service_selects_only_nodes(string name)
    {
        var d = Deployment.Named(name);
        AssertSelects(d.Coordinator.Spec.Selector, d.Coordinator.Spec.Template);
        AssertSelects(d.Worker.Spec.Selector, d.Worker.Spec.Template);
        var service = d.Named<V1Service>();
        Assert.Equal("None", service.Spec.ClusterIP);
        Assert.True(service.Spec.PublishNotReadyAddresses);
        Assert.Equal(service.Metadata.Name, d.Coordinator.Spec.ServiceName);
        foreach (var template in d.NodeTemplates.Values)
        {
            Assert.True(Matches(service.Spec.Selector, template.Metadata.Labels));
            AssertSelects(d.Named<V1PodDisruptionBudget>().Spec.Selector, template);
        }
        if (d.Postgresql is { } postgres)
        {
            AssertSelects(postgres.Spec.Selector, postgres.Spec.Template);
            var postgresService = d.Named<V1Service>("-postgresql");
            Assert.Equal(postgresService.Metadata.Name, postgres.Spec.ServiceName);
            Assert.True(Matches(postgresService.Spec.Selector, postgres.Spec.Template.Metadata.Labels));
            Assert.False(Matches(service.Spec.Selector, postgres.Spec.Template.Metadata.Labels));
        }
        // The client Job is no member: the nodes' selectors, and bootstrap's, must not find it.
        if (d.ExampleJob is { } job)
        {
            Assert.False(Matches(service.Spec.Selector, job.Spec.Template.Metadata.Labels));
            foreach (var template in d.NodeTemplates.Values)
                Assert.False(Matches(Deployment.ParseLabels(Deployment.Env(template)["SWEEP_DISCOVERY_LABEL_SELECTOR"]), job.Spec.Template.Metadata.Labels));
        }
    }

    [Theory]
    [MemberData(nameof(Deployment.Names), MemberType = typeof(Deployment))]
    public void Named_ports_are_the_ones_bootstrap_the_node_settings_and_the_probes_use(string name)
    {
        var d = Deployment.Named(name);
        var service = d.Named<V1Service>();
        Assert.Equal([SweepAkka.RemotingPortName, SweepAkka.ManagementPortName], service.Spec.Ports.Select(p => p.Name).ToArray());
        Assert.Equal([SweepAkka.RemotingPortName, SweepAkka.ManagementPortName], service.Spec.Ports.Select(p => p.TargetPort.Value).ToArray());
        foreach (var (component, template) in d.NodeTemplates)
        {
            var container = template.Spec.Containers.Single();
            var ports = container.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
            var env = Deployment.Env(template);
            Assert.Equal([SweepAkka.RemotingPortName, SweepAkka.ManagementPortName, SweepAkka.HealthPortName], ports.Keys);
            Assert.Equal(int.Parse(env["SWEEP_PORT"]), ports[SweepAkka.RemotingPortName]);
            Assert.Equal(int.Parse(env["SWEEP_MANAGEMENT_PORT"]), ports[SweepAkka.ManagementPortName]);
            Assert.Equal(int.Parse(env["SWEEP_HEALTH_PORT"]), ports[SweepAkka.HealthPortName]);
            Assert.Equal("/alive", container.LivenessProbe.HttpGet.Path);
            Assert.Equal("/ready", container.ReadinessProbe.HttpGet.Path);
            Assert.Equal(SweepAkka.HealthPortName, container.LivenessProbe.HttpGet.Port.Value);
            Assert.Equal(SweepAkka.HealthPortName, container.ReadinessProbe.HttpGet.Port.Value);
            Assert.True(Matches(Deployment.ParseLabels(env["SWEEP_DISCOVERY_LABEL_SELECTOR"]), template.Metadata.Labels), component);
            foreach (var servicePort in service.Spec.Ports) Assert.Equal(servicePort.Port, ports[servicePort.Name]);
        }
    }

    [Theory]
    [MemberData(nameof(Deployment.Names), MemberType = typeof(Deployment))]
    public void Nodes_run_as_the_service_account_whose_role_only_reads_pods_and_everything_is_in_one_namespace(string name)
    {
        var d = Deployment.Named(name);
        var account = d.Named<V1ServiceAccount>();
        var binding = d.Named<V1RoleBinding>("-pod-reader");
        var role = d.Named<V1Role>("-pod-reader");
        Assert.Equal(role.Metadata.Name, binding.RoleRef.Name);
        Assert.Contains(binding.Subjects, s => s.Kind == "ServiceAccount" && s.Name == account.Metadata.Name);
        // Least privilege: reading pods is all bootstrap needs, so it is all the role grants.
        var rule = Assert.Single(role.Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["get", "list", "watch"], rule.Verbs.Order());
        foreach (var template in d.NodeTemplates.Values) Assert.Equal(account.Metadata.Name, template.Spec.ServiceAccountName);
        Assert.All(d.Objects.Where(o => o.Object is not V1Namespace), o => Assert.Equal("sweepcluster", o.Object.Metadata.NamespaceProperty));
    }

    [Theory]
    [MemberData(nameof(Deployment.Names), MemberType = typeof(Deployment))]
    public void Node_pods_set_only_variables_NodeSettings_reads_every_one_a_pod_needs_and_settings_it_accepts(string name)
    {
        var d = Deployment.Named(name);
        var folder = Directory.CreateTempSubdirectory("sweep-deploy-tls-").FullName;
        try
        {
            // The files of a kubernetes.io/tls Secret with its CA, as cert-manager writes them: PEM, the key unencrypted.
            var certificate = TestCertificate.Create(folder, "sweepcluster");
            var secretFiles = new Dictionary<string, string> { ["tls.crt"] = certificate.Pem, ["tls.key"] = certificate.Key, ["ca.crt"] = certificate.Ca };
            foreach (var (component, template) in d.NodeTemplates)
            {
                NodeEnvironment.AssertValid(component, Deployment.Entries(template));
                // A TLS variable names a file of the mounted Secret; the test's files stand in for them.
                var env = Deployment.Env(template).ToDictionary(e => e.Key, e => e.Key.StartsWith("SWEEP_TLS_", StringComparison.Ordinal)
                    ? secretFiles[Path.GetFileName(e.Value)] : e.Value);
                var settings = NodeEnvironment.Settings(env);
                Assert.True(settings.UsesKubernetesDiscovery);
                Assert.Equal([component], settings.RoleList);
                Assert.Equal(d.Tls, settings.UsesTls);
                if (settings.Tls() is { } tls)
                    using (tls)
                    {
                        Assert.Equal("CN=sweepcluster", tls.Certificate.Subject);
                        Assert.NotNull(tls.Trusted);
                    }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Deployment.Names), MemberType = typeof(Deployment))]
    public void Tls_files_come_from_a_read_only_mount_of_the_tls_secret(string name)
    {
        var d = Deployment.Named(name);
        var clients = d.ExampleJob is { } job && job.Spec.Template.Spec.Containers[0].Env.Any(e => e.Name == "SWEEP_TLS_CERTIFICATE")
            ? [job.Spec.Template.Spec] : Array.Empty<V1PodSpec>();
        foreach (var pod in d.NodeTemplates.Values.Select(t => t.Spec).Concat(clients))
        {
            var container = pod.Containers[0];
            var tlsEnv = container.Env.Where(e => e.Name.StartsWith("SWEEP_TLS_", StringComparison.Ordinal)).ToList();
            Assert.Equal(d.Tls, tlsEnv.Count > 0);
            // A password only ever as a file of the Secret, never in the environment.
            Assert.DoesNotContain(tlsEnv, e => e.Name == "SWEEP_TLS_PASSWORD");
            foreach (var e in tlsEnv.Where(e => e.Name != "SWEEP_TLS_SUPPRESS_VALIDATION"))
            {
                var mount = Assert.Single(container.VolumeMounts, m => e.Value.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
                Assert.True(mount.ReadOnlyProperty);
                var volume = pod.Volumes.Single(v => v.Name == mount.Name);
                Assert.Equal("sweepcluster-tls", volume.Secret.SecretName);
                // 0440: readable by the pod's fsGroup, the group of the non-root user.
                Assert.Equal(Convert.ToInt32("440", 8), volume.Secret.DefaultMode);
                Assert.NotNull(pod.SecurityContext.FsGroup);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Deployment.Names), MemberType = typeof(Deployment))]
    public void The_network_policies_admit_management_only_from_nodes_remoting_also_from_clients_and_postgresql_from_both(string name)
    {
        var d = Deployment.Named(name);
        var policies = d.OfKind<V1NetworkPolicy>().ToList();
        var nodes = d.NodeTemplates.Values.Select(t => t.Metadata.Labels).ToList();
        var client = d.ExampleJob!.Spec.Template.Metadata.Labels;
        // A pod of the deployment that is neither (another Job without the client label), and one of another application.
        var stranger = new Dictionary<string, string>(client.Where(l => l.Key != "app.kubernetes.io/component"));
        var other = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "something-else" };
        void Expect(bool admitted, IDictionary<string, string> target, IDictionary<string, string> source, string port) =>
            Assert.True(admitted == Admits(policies, target, source, port),
                $"{(admitted ? "refused" : "admitted")}: {string.Join(',', source)} to port {port} of {string.Join(',', target)}");
        foreach (var target in nodes)
        {
            foreach (var source in nodes)
            {
                Expect(true, target, source, SweepAkka.RemotingPortName);
                Expect(true, target, source, SweepAkka.ManagementPortName);
            }
            Expect(true, target, client, SweepAkka.RemotingPortName);
            Expect(false, target, client, SweepAkka.ManagementPortName);
            foreach (var outsider in new[] { stranger, other })
            {
                Expect(false, target, outsider, SweepAkka.RemotingPortName);
                Expect(false, target, outsider, SweepAkka.ManagementPortName);
                // The kubelet probes health from the node, whatever its labels.
                Expect(true, target, outsider, SweepAkka.HealthPortName);
            }
        }
        if (d.Postgresql is { } postgres)
        {
            var database = postgres.Spec.Template.Metadata.Labels;
            var port = postgres.Spec.Template.Spec.Containers[0].Ports.Single().Name;
            foreach (var source in nodes.Append(client)) Expect(true, database, source, port);
            Expect(false, database, stranger, port);
            Expect(false, database, other, port);
        }
    }

    /// <summary>
    /// Whether the policies let a pod with the source's labels reach the target pod's named port,
    /// as Kubernetes decides: a pod no policy selects admits everything; one that some select
    /// admits what any of their ingress rules admits (peers by pod labels, in the namespace).
    /// </summary>
    static bool Admits(IReadOnlyList<V1NetworkPolicy> policies, IDictionary<string, string> target, IDictionary<string, string> source, string port)
    {
        var selecting = policies.Where(p => Selects(p.Spec.PodSelector, target)).ToList();
        if (selecting.Count == 0) return true;
        return selecting.SelectMany(p => p.Spec.Ingress ?? []).Any(rule =>
            (rule.FromProperty is null || rule.FromProperty.Any(peer => peer.NamespaceSelector is null && peer.IpBlock is null && Selects(peer.PodSelector, source)))
            && (rule.Ports is null || rule.Ports.Any(p => p.Port.Value == port && p.Protocol is null or "TCP")));
    }

    /// <summary>A label selector as Kubernetes applies it: every label it names, and an empty one selects every pod.</summary>
    static bool Selects(V1LabelSelector selector, IDictionary<string, string> labels) => selector.MatchExpressions is null or []
        ? (selector.MatchLabels ?? new Dictionary<string, string>()).All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value)
        : throw new NotSupportedException("matchExpressions");

    [Theory]
    [MemberData(nameof(Deployment.Names), MemberType = typeof(Deployment))]
    public void Workers_get_their_gpus_and_gpu_placement_and_roll_out_one_at_a_time_without_a_surge_pod(string name)
    {
        var d = Deployment.Named(name);
        var worker = d.Worker.Spec.Template.Spec;
        var expected = name switch
        {
            "chart: 8 workers of 4 GPUs" => 4,
            "chart: release prod, CPU workers" => 0,
            _ => 1,
        };
        Assert.Equal(expected, d.WorkerGpus);
        Assert.Equal("auto", Deployment.Env(d.Worker.Spec.Template)["SWEEP_DEVICES"]);
        if (expected > 0)
        {
            Assert.EndsWith("-cuda", worker.Containers[0].Image);
            Assert.Equal("true", worker.NodeSelector["nvidia.com/gpu.present"]);
            Assert.Contains(worker.Tolerations, t => t.Key == "nvidia.com/gpu" && t.Effect == "NoSchedule");
        }
        else
        {
            // CPU workers run the CPU image anywhere.
            Assert.DoesNotContain("-cuda", worker.Containers[0].Image);
            Assert.True(worker.NodeSelector is null or { Count: 0 }, string.Join(", ", worker.NodeSelector ?? new Dictionary<string, string>()));
            Assert.True(worker.Tolerations is null or { Count: 0 });
        }
        // A surge pod would wait for GPUs only the pods it replaces hold, and the rollout would stall.
        var strategy = d.Worker.Spec.Strategy;
        Assert.Equal("RollingUpdate", strategy.Type);
        Assert.Equal("0", strategy.RollingUpdate.MaxSurge.Value);
        Assert.Equal("1", strategy.RollingUpdate.MaxUnavailable.Value);
    }

    [Theory]
    [MemberData(nameof(Deployment.Names), MemberType = typeof(Deployment))]
    public void Every_pod_runs_non_root_with_a_read_only_root_no_capabilities_and_emptydirs_where_it_writes(string name)
    {
        var d = Deployment.Named(name);
        var pods = d.NodeTemplates.Values.Select(t => (t.Spec, Writes: new[] { "/tmp" }))
            .Append((d.ExampleJob!.Spec.Template.Spec, ["/tmp"]));
        if (d.Postgresql is { } postgres)
            pods = pods.Append((postgres.Spec.Template.Spec, ["/var/run/postgresql", "/tmp"]));
        foreach (var (pod, writes) in pods)
        {
            Assert.True(pod.SecurityContext.RunAsNonRoot);
            Assert.NotEqual(0, pod.SecurityContext.RunAsUser);
            var container = pod.Containers.Single();
            Assert.True(container.SecurityContext.ReadOnlyRootFilesystem, container.Name);
            Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
            Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
            foreach (var path in writes)
            {
                var mount = container.VolumeMounts.Single(m => m.MountPath == path);
                Assert.NotNull(pod.Volumes.Single(v => v.Name == mount.Name).EmptyDir);
            }
        }
        foreach (var template in d.NodeTemplates.Values)
        {
            // The node's one writable path of its own, the image cache, lies in /tmp.
            Assert.StartsWith("/tmp/", Deployment.Env(template)["SWEEP_CACHE_DIRECTORY"]);
            // Workers drain for up to 10 s (SweepAkka.ConfigureWorkers) before the node leaves.
            Assert.True(template.Spec.TerminationGracePeriodSeconds > 30);
        }
    }

    [Theory]
    [MemberData(nameof(Deployment.Names), MemberType = typeof(Deployment))]
    public void The_database_credentials_come_from_one_secret_and_only_as_references(string name)
    {
        var d = Deployment.Named(name);
        var secretName = d.Postgresql is null ? "sweep-db" : d.Prefix + "-postgresql";
        if (d.Postgresql is { } postgres)
        {
            Assert.Equal(["username", "password", "database"], d.Named<V1Secret>("-postgresql").StringData.Keys);
            Assert.Single(postgres.Spec.VolumeClaimTemplates);
            AssertFromSecret(postgres.Spec.Template.Spec.Containers[0].Env, secretName);
        }
        else Assert.Empty(d.OfKind<V1Secret>());
        foreach (var template in d.NodeTemplates.Values)
        {
            var env = template.Spec.Containers[0].Env;
            AssertFromSecret(env, secretName);
            Assert.Equal("postgresql", env.Single(e => e.Name == "SWEEP_DATABASE_PROVIDER").Value);
            var connection = env.Single(e => e.Name == "SWEEP_DATABASE_CONNECTION").Value;
            Assert.StartsWith(d.Postgresql is null ? "Host=db.example.com;Port=5432;" : $"Host={d.Prefix}-postgresql;", connection);
            Assert.EndsWith(";Username=$(DATABASE_USERNAME);Password=$(DATABASE_PASSWORD);Database=$(DATABASE_NAME)", connection);
        }
    }

    static void AssertFromSecret(IList<V1EnvVar> env, string secretName)
    {
        var references = env.Where(e => e.ValueFrom?.SecretKeyRef is not null).ToList();
        Assert.Equal(3, references.Count);
        Assert.All(references, e => Assert.Equal(secretName, e.ValueFrom.SecretKeyRef.Name));
        Assert.Equal(["database", "password", "username"], references.Select(e => e.ValueFrom.SecretKeyRef.Key).Order());
    }

    [Theory]
    [MemberData(nameof(Deployment.Names), MemberType = typeof(Deployment))]
    public void The_example_job_submits_the_example_spec_to_the_first_coordinator_and_listens_on_its_pod_ip(string name)
    {
        var d = Deployment.Named(name);
        var map = d.Named<V1ConfigMap>("-example");
        Assert.Equal(File.ReadAllText(Path.Combine(Sweep.RepositoryRoot, "examples", "seed-experiment.yaml")), map.Data["seed-experiment.yaml"]);
        var job = d.ExampleJob!.Spec.Template.Spec;
        var coordinator = d.Coordinator;
        var protocol = d.Tls ? RemoteTls.Protocol : RemoteTls.PlainProtocol;
        var address = $"{protocol}://{SweepAkka.SystemName}@{coordinator.Metadata.Name}-0.{coordinator.Spec.ServiceName}.{coordinator.Metadata.NamespaceProperty}.svc.cluster.local:4053";
        // k8s/'s Job is a plain client: with the TLS patch, clients run in a node pod instead (docs/deploy.md).
        if (name == Deployment.K8sWithTls.Name) address = address.Replace(RemoteTls.Protocol, RemoteTls.PlainProtocol, StringComparison.Ordinal);
        Assert.Equal(["submit", "/spec/seed-experiment.yaml", "--cluster", address, "--client-hostname", "$(POD_IP)"], job.Containers[0].Args);
        Assert.Equal("status.podIP", job.Containers[0].Env.Single(e => e.Name == "POD_IP").ValueFrom.FieldRef.FieldPath);
        var spec = job.Containers[0].VolumeMounts.Single(m => m.MountPath == "/spec");
        Assert.Equal(map.Metadata.Name, job.Volumes.Single(v => v.Name == spec.Name).ConfigMap.Name);
    }

    static void AssertSelects(V1LabelSelector selector, V1PodTemplateSpec template) =>
        Assert.True(Selects(selector, template.Metadata.Labels),
            $"selector {string.Join(',', selector.MatchLabels)} does not select {string.Join(',', template.Metadata.Labels)}");

    /// <summary>A Service's selector or bootstrap's: an empty one would select nothing, or everything, and is never meant.</summary>
    static bool Matches(IDictionary<string, string> selector, IDictionary<string, string> labels) =>
        selector.Count > 0 && Selects(new V1LabelSelector { MatchLabels = selector }, labels);
}
