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
    public void The_tls_patch_adds_to_each_node_workload_its_tls_variables_secret_mount_and_volume_and_changes_nothing_else()
    {
        // A strategic merge matches the container, env entries and volumes by name, mounts by path:
        // were one of them named differently, the patch would add a second container or replace a mount.
        var patched = Deployment.K8sWithTls;
        foreach (var (component, template) in Deployment.K8s.NodeTemplates)
        {
            var differences = ObjectDifferences.Between(ObjectDifferences.Json(Workload(Deployment.K8s, component)), ObjectDifferences.Json(Workload(patched, component)));
            Assert.Equal(
            [
                ".spec.template.spec.containers[sweep].env[SWEEP_TLS_CA]: expected nothing but found {\"name\":\"SWEEP_TLS_CA\",\"value\":\"/etc/sweepcluster/tls/ca.crt\"}",
                ".spec.template.spec.containers[sweep].env[SWEEP_TLS_CERTIFICATE]: expected nothing but found {\"name\":\"SWEEP_TLS_CERTIFICATE\",\"value\":\"/etc/sweepcluster/tls/tls.crt\"}",
                ".spec.template.spec.containers[sweep].env[SWEEP_TLS_KEY]: expected nothing but found {\"name\":\"SWEEP_TLS_KEY\",\"value\":\"/etc/sweepcluster/tls/tls.key\"}",
                ".spec.template.spec.containers[sweep].volumeMounts[tls]: expected nothing but found {\"mountPath\":\"/etc/sweepcluster/tls\",\"name\":\"tls\",\"readOnly\":true}",
                ".spec.template.spec.volumes[tls]: expected nothing but found {\"name\":\"tls\",\"secret\":{\"defaultMode\":288,\"secretName\":\"sweepcluster-tls\"}}",
            ], differences);
            Assert.Equal(template.Spec.Containers.Single().Name, Manifests.TlsPatch.Spec.Template.Spec.Containers.Single().Name);
        }
    }

    static IKubernetesObject<V1ObjectMeta> Workload(Deployment d, string component) => component == "coordinator" ? d.Coordinator : d.Worker;

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
}
