using k8s;
using k8s.Models;
using SweepCluster.Cluster.Hosting;

namespace SweepCluster.Deploy.Tests;

/// <summary>k8s/: every file parses into the typed models, and the objects refer to each other correctly.</summary>
public sealed class ManifestTests
{
    [Fact]
    public void Every_manifest_parses_strictly_into_the_kubernetes_models()
    {
        var objects = Manifests.All();
        Assert.Equal(Directory.GetFiles(Manifests.Folder, "*.yaml").Length, objects.Select(o => o.File).Distinct().Count());
        var kinds = objects.Select(o => o.Object.Kind).ToHashSet();
        foreach (var kind in new[] { "Namespace", "ServiceAccount", "Role", "RoleBinding", "Service", "StatefulSet", "Deployment",
                     "Secret", "PodDisruptionBudget", "NetworkPolicy", "ConfigMap", "Job" })
            Assert.Contains(kind, kinds);
    }

    /// <summary>A manifest of k8s/ with one text replaced, parsed as the tests parse k8s/: the error names the file, line and path.</summary>
    [Theory]
    // An unknown (misspelt) field.
    [InlineData("service.yaml", "publishNotReadyAddresses", "publishNotReadyAdresses", "spec.publishNotReadyAdresses: V1ServiceSpec has no field")]
    // A number where Kubernetes wants a string: an env value unquoted.
    [InlineData("worker-deployment.yaml", "value: \"4053\"", "value: 4053", "spec.template.spec.containers[0].env[7].value: the int 4053 where the model wants a string; quote it")]
    // A boolean where it wants a string: a nodeSelector value unquoted.
    [InlineData("worker-deployment.yaml", "nvidia.com/gpu.present: \"true\"", "nvidia.com/gpu.present: true", "nodeSelector[\"nvidia.com/gpu.present\"]: the bool true where the model wants a string")]
    // A string where it wants an integer.
    [InlineData("coordinator-statefulset.yaml", "containerPort: 4053", "containerPort: \"4053\"", "ports[0].containerPort: the string '4053' where the model wants an integer")]
    // A quoted number where it takes a number or a name: Kubernetes would look for a port named "8558".
    [InlineData("service.yaml", "targetPort: management", "targetPort: \"8558\"", "ports[1].targetPort: '8558' in quotes is a name")]
    // Words YAML 1.1 (kubectl) reads as booleans and YAML 1.2 as strings, and a number each reads differently.
    [InlineData("coordinator-statefulset.yaml", "value: coordinator", "value: yes", "env[5].value: 'yes' is the bool true to kubectl and Helm (YAML 1.1) but the string 'yes' in YAML 1.2")]
    [InlineData("postgresql-secret.yaml", "username: sweep", "username: 0755", "stringData.username: '0755' is the int 493 to kubectl")]
    // A word where it wants a list, and no quantity.
    [InlineData("networkpolicy.yaml", "policyTypes: [\"Ingress\"]", "policyTypes: Ingress", "spec.policyTypes: must be a list, not a scalar")]
    [InlineData("worker-deployment.yaml", "memory: 16Gi", "memory: 16 GB", "resources.requests.memory: '16 GB' is no quantity")]
    public void A_wrong_field_or_type_is_refused_with_where_it_is(string file, string text, string replacement, string message)
    {
        var path = Path.Combine(Manifests.Folder, file);
        var yaml = File.ReadAllText(path);
        Assert.Contains(text, yaml);
        var e = Assert.Throws<ManifestException>(() => KubernetesManifest.Parse(ReplaceFirst(yaml, text, replacement), "k8s/" + file));
        var error = Assert.Single(e.Errors);
        Assert.StartsWith($"k8s/{file}:", error);
        Assert.True(error.Contains(message, StringComparison.Ordinal), error);
    }

    [Fact]
    public void Unquoted_numbers_are_quantities_and_ports_and_documents_of_comments_alone_are_skipped()
    {
        const string yaml = """
            # nothing but a comment
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: p
            spec:
              containers:
                - name: c
                  ports:
                    - containerPort: 80
                  readinessProbe:
                    httpGet:
                      port: 80
                  resources:
                    limits:
                      cpu: 2
                      nvidia.com/gpu: 1
            ---
            """;
        var pod = (V1Pod)Assert.Single(KubernetesManifest.Parse(yaml, "pod.yaml"));
        var container = pod.Spec.Containers.Single();
        Assert.Equal("2", container.Resources.Limits["cpu"].ToString());
        Assert.Equal("1", container.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("80", container.ReadinessProbe.HttpGet.Port.Value);
    }

    static string ReplaceFirst(string text, string old, string replacement)
    {
        var i = text.IndexOf(old, StringComparison.Ordinal);
        return text[..i] + replacement + text[(i + old.Length)..];
    }

    [Fact]
    public void Workload_selectors_match_their_pod_templates_and_the_service_selects_only_nodes()
    {
        var coordinator = Manifests.Coordinator;
        var worker = Manifests.Worker;
        var postgres = Manifests.Single<V1StatefulSet>("sweepcluster-postgresql");
        AssertSelects(coordinator.Spec.Selector, coordinator.Spec.Template);
        AssertSelects(worker.Spec.Selector, worker.Spec.Template);
        AssertSelects(postgres.Spec.Selector, postgres.Spec.Template);

        var service = Manifests.Single<V1Service>("sweepcluster");
        Assert.Equal("None", service.Spec.ClusterIP);
        Assert.True(service.Spec.PublishNotReadyAddresses);
        Assert.Equal(service.Metadata.Name, coordinator.Spec.ServiceName);
        foreach (var template in Manifests.NodeTemplates.Values) Assert.Subset(template.Metadata.Labels.ToHashSet(), service.Spec.Selector.ToHashSet());
        Assert.Equal(Manifests.Single<V1Service>("sweepcluster-postgresql").Metadata.Name, postgres.Spec.ServiceName);

        foreach (var budgetOrPolicy in new[]
                 {
                     Manifests.Single<V1PodDisruptionBudget>("sweepcluster").Spec.Selector,
                     Manifests.Single<V1NetworkPolicy>("sweepcluster").Spec.PodSelector,
                 })
        {
            AssertSelects(budgetOrPolicy, coordinator.Spec.Template);
            AssertSelects(budgetOrPolicy, worker.Spec.Template);
        }
        // The client Job reaches the nodes through the NetworkPolicy but is no member: bootstrap must not find it.
        var client = Manifests.Single<V1Job>("sweepcluster-submit-example").Spec.Template;
        var admitted = Manifests.Single<V1NetworkPolicy>("sweepcluster").Spec.Ingress[0].FromProperty[0].PodSelector;
        AssertSelects(admitted, client);
        Assert.False(Matches(LabelSelector(Manifests.Env(Manifests.Worker.Spec.Template)["SWEEP_DISCOVERY_LABEL_SELECTOR"]), client.Metadata.Labels));
    }

    [Fact]
    public void Named_ports_are_the_ones_bootstrap_and_the_probes_use()
    {
        var service = Manifests.Single<V1Service>("sweepcluster");
        Assert.Equal([SweepAkka.RemotingPortName, SweepAkka.ManagementPortName], service.Spec.Ports.Select(p => p.Name).ToArray());
        foreach (var (component, template) in Manifests.NodeTemplates)
        {
            var container = template.Spec.Containers.Single();
            var ports = container.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
            var env = Manifests.Env(template);
            Assert.Equal(int.Parse(env["SWEEP_PORT"]), ports[SweepAkka.RemotingPortName]);
            Assert.Equal(int.Parse(env["SWEEP_MANAGEMENT_PORT"]), ports[SweepAkka.ManagementPortName]);
            Assert.Equal(int.Parse(env["SWEEP_HEALTH_PORT"]), ports[SweepAkka.HealthPortName]);
            Assert.Equal("/alive", container.LivenessProbe.HttpGet.Path);
            Assert.Equal("/ready", container.ReadinessProbe.HttpGet.Path);
            Assert.Equal(SweepAkka.HealthPortName, container.ReadinessProbe.HttpGet.Port.Value);
            Assert.True(Matches(LabelSelector(env["SWEEP_DISCOVERY_LABEL_SELECTOR"]), template.Metadata.Labels), component);
            foreach (var servicePort in service.Spec.Ports) Assert.Equal(servicePort.Port, ports[servicePort.Name]);
        }
        var policyPorts = Manifests.Single<V1NetworkPolicy>("sweepcluster").Spec.Ingress[0].Ports.Select(p => p.Port.Value).ToArray();
        Assert.Equal([SweepAkka.RemotingPortName, SweepAkka.ManagementPortName], policyPorts);
    }

    [Fact]
    public void Nodes_use_the_service_account_the_role_binding_grants_pod_listing()
    {
        var account = Manifests.Single<V1ServiceAccount>("sweepcluster");
        var binding = Manifests.Single<V1RoleBinding>("sweepcluster-pod-reader");
        var role = Manifests.Single<V1Role>(binding.RoleRef.Name);
        Assert.Contains(binding.Subjects, s => s.Kind == "ServiceAccount" && s.Name == account.Metadata.Name);
        // Least privilege: reading pods is all bootstrap needs, so it is all the role grants.
        var rule = Assert.Single(role.Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["get", "list", "watch"], rule.Verbs.Order());
        foreach (var template in Manifests.NodeTemplates.Values) Assert.Equal(account.Metadata.Name, template.Spec.ServiceAccountName);
        var ns = Manifests.All().Select(o => o.Object).OfType<V1Namespace>().Single().Metadata.Name;
        Assert.All(Manifests.All().Select(o => o.Object).OfType<IKubernetesObject<V1ObjectMeta>>().Where(o => o is not V1Namespace),
            o => Assert.Equal(ns, o.Metadata.NamespaceProperty));
    }

    [Fact]
    public void Node_pods_set_only_variables_NodeSettings_reads_and_every_one_a_pod_needs()
    {
        foreach (var (component, template) in Manifests.NodeTemplates)
            NodeEnvironment.AssertValid(component, template.Spec.Containers[0].Env.Select(e => new NodeEnvironment.Entry(e.Name, e.Value)).ToList());
    }

    [Fact]
    public void Node_settings_from_the_manifests_pass_validation()
    {
        foreach (var (component, template) in Manifests.NodeTemplates)
        {
            var settings = NodeEnvironment.Settings(Manifests.Env(template));
            Assert.True(settings.UsesKubernetesDiscovery);
            Assert.Equal([component], settings.RoleList);
            Assert.False(settings.UsesTls);
        }
    }

    [Fact]
    public void The_tls_patch_adds_only_tls_variables_NodeSettings_reads_and_a_read_only_secret_mount_to_the_node_container()
    {
        var patch = Manifests.TlsPatch.Spec.Template.Spec;
        var container = patch.Containers.Single();
        var volume = patch.Volumes.Single();
        var mount = container.VolumeMounts.Single();
        Assert.Equal(volume.Name, mount.Name);
        Assert.True(mount.ReadOnlyProperty);
        Assert.False(string.IsNullOrEmpty(volume.Secret.SecretName));
        Assert.All(container.Env, e => Assert.StartsWith("SWEEP_TLS_", e.Name));
        Assert.All(container.Env, e => Assert.StartsWith(mount.MountPath + "/", e.Value));
        foreach (var (component, template) in Manifests.NodeTemplates)
        {
            // A strategic merge matches the container by name and adds env entries, mounts and volumes by theirs.
            var target = template.Spec.Containers.Single();
            Assert.Equal(target.Name, container.Name);
            Assert.DoesNotContain(template.Spec.Volumes, v => v.Name == volume.Name);
            Assert.DoesNotContain(target.VolumeMounts, m => m.Name == mount.Name || m.MountPath == mount.MountPath);
            NodeEnvironment.AssertValid(component, target.Env.Concat(container.Env).Select(e => new NodeEnvironment.Entry(e.Name, e.Value)).ToList());
        }
    }

    [Fact]
    public void A_patched_node_reading_a_kubernetes_io_tls_secret_s_files_passes_validation_with_tls()
    {
        var folder = Directory.CreateTempSubdirectory("sweep-deploy-tls-").FullName;
        try
        {
            // The keys of a kubernetes.io/tls Secret with its CA, as cert-manager writes one: PEM, the key unencrypted.
            var certificate = Cli.Tests.TestCertificate.Create(folder, "sweepcluster");
            var secretFiles = new Dictionary<string, string> { ["tls.crt"] = certificate.Pem, ["tls.key"] = certificate.Key, ["ca.crt"] = certificate.Ca };
            var patchEnv = Manifests.TlsPatch.Spec.Template.Spec.Containers.Single().Env.ToDictionary(e => e.Name, e => secretFiles[Path.GetFileName(e.Value)]);
            foreach (var (component, template) in Manifests.NodeTemplates)
            {
                var settings = NodeEnvironment.Settings(Manifests.Env(template).Concat(patchEnv));
                Assert.True(settings.UsesTls, component);
                using var tls = settings.Tls()!;
                Assert.Equal("CN=sweepcluster", tls.Certificate.Subject);
                Assert.NotNull(tls.Trusted);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Kubernetes_discovery_with_seed_nodes_without_a_selector_or_with_a_management_host_that_is_no_ip_is_refused_with_the_variable_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new NodeSettings
        {
            Discovery = "kubernetes", SeedNodes = "akka.tcp://sweep@10.0.0.1:4053", Devices = "cpu",
        }.Validate());
        Assert.Contains("SWEEP_SEED_NODES", e.Message);
        Assert.Contains("SWEEP_DISCOVERY_LABEL_SELECTOR", e.Message);
        Assert.Contains("SWEEP_DISCOVERY:", Assert.Throws<ArgumentException>(() => new NodeSettings { Discovery = "dns", Devices = "cpu" }.Validate()).Message);
        // Bootstrap finds itself among the listed pods by IP: a DNS name, given or taken from the public hostname, never matches.
        var kubernetes = new NodeSettings { Discovery = "kubernetes", DiscoveryLabelSelector = "a=b", Devices = "cpu", PublicHostname = "pod-0.svc.cluster.local" };
        Assert.Contains("SWEEP_MANAGEMENT_HOSTNAME: 'pod-0.svc.cluster.local' (from SWEEP_PUBLIC_HOSTNAME)", Assert.Throws<ArgumentException>(() => kubernetes.Validate()).Message);
        Assert.Contains("SWEEP_MANAGEMENT_HOSTNAME: 'pod-0'", Assert.Throws<ArgumentException>(() => (kubernetes with { ManagementHostname = "pod-0" }).Validate()).Message);
        Assert.Equal("10.0.0.7", (kubernetes with { ManagementHostname = "10.0.0.7" }).Validate().AdvertisedManagementHostname);
    }

    [Fact]
    public void Workers_get_gpus_and_every_node_runs_non_root_with_a_read_only_root_and_time_to_leave()
    {
        var worker = Manifests.Worker.Spec.Template.Spec;
        Assert.True(worker.Containers[0].Resources.Limits.ContainsKey("nvidia.com/gpu"));
        Assert.Equal("auto", Manifests.Env(Manifests.Worker.Spec.Template)["SWEEP_DEVICES"]);
        Assert.NotEmpty(worker.NodeSelector);
        Assert.Contains(worker.Tolerations, t => t.Key == "nvidia.com/gpu");
        foreach (var template in Manifests.NodeTemplates.Values)
        {
            var pod = template.Spec;
            Assert.True(pod.SecurityContext.RunAsNonRoot);
            Assert.True(pod.Containers[0].SecurityContext.ReadOnlyRootFilesystem);
            Assert.False(pod.Containers[0].SecurityContext.AllowPrivilegeEscalation);
            Assert.Equal(["ALL"], pod.Containers[0].SecurityContext.Capabilities.Drop);
            var tmp = pod.Containers[0].VolumeMounts.Single(m => m.MountPath == "/tmp");
            Assert.NotNull(pod.Volumes.Single(v => v.Name == tmp.Name).EmptyDir);
            // Workers drain for up to 10 s (SweepAkka.ConfigureWorkers) before the node leaves.
            Assert.True(pod.TerminationGracePeriodSeconds > 30);
        }
    }

    [Fact]
    public void The_database_connection_comes_from_the_postgresql_secret()
    {
        var secret = Manifests.Single<V1Secret>("sweepcluster-postgresql");
        foreach (var template in Manifests.NodeTemplates.Values)
        {
            var env = template.Spec.Containers[0].Env;
            Assert.Equal("postgresql", env.Single(e => e.Name == "SWEEP_DATABASE_PROVIDER").Value);
            foreach (var e in env.Where(e => e.ValueFrom?.SecretKeyRef is not null))
            {
                Assert.Equal(secret.Metadata.Name, e.ValueFrom.SecretKeyRef.Name);
                Assert.Contains(e.ValueFrom.SecretKeyRef.Key, secret.StringData.Keys);
            }
            Assert.Contains("$(DATABASE_PASSWORD)", env.Single(e => e.Name == "SWEEP_DATABASE_CONNECTION").Value);
        }
        var postgres = Manifests.Single<V1StatefulSet>("sweepcluster-postgresql");
        Assert.Single(postgres.Spec.VolumeClaimTemplates);
    }

    [Fact]
    public void The_example_job_submits_the_example_spec_to_the_coordinator()
    {
        var map = Manifests.Single<V1ConfigMap>("sweepcluster-example");
        Assert.Equal(File.ReadAllText(Path.Combine(Cli.Tests.Sweep.RepositoryRoot, "examples", "seed-experiment.yaml")), map.Data["seed-experiment.yaml"]);
        var job = Manifests.Single<V1Job>("sweepcluster-submit-example").Spec.Template.Spec;
        var args = job.Containers[0].Args;
        Assert.Equal("submit", args[0]);
        var coordinator = Manifests.Coordinator;
        Assert.Contains($"akka.tcp://sweep@{coordinator.Metadata.Name}-0.{coordinator.Spec.ServiceName}.{coordinator.Metadata.NamespaceProperty}.svc.cluster.local:4053", args);
        Assert.Equal(map.Metadata.Name, job.Volumes.Single(v => v.ConfigMap is not null).ConfigMap.Name);
    }

    static void AssertSelects(V1LabelSelector selector, V1PodTemplateSpec template) =>
        Assert.True(selector.MatchLabels.All(l => template.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value),
            $"selector {string.Join(',', selector.MatchLabels)} does not select {string.Join(',', template.Metadata.Labels)}");

    /// <summary>An equality-based selector, "a=b,c=d", as SWEEP_DISCOVERY_LABEL_SELECTOR holds it.</summary>
    static Dictionary<string, string> LabelSelector(string selector) =>
        selector.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    static bool Matches(Dictionary<string, string> selector, IDictionary<string, string> labels) =>
        selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);
}
