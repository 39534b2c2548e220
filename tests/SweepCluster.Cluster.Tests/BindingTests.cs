using System.Net;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Storage;
using SweepCluster.Storage.Tests;
using SweepCluster.Training.Data;

namespace SweepCluster.Cluster.Tests;

/// <summary>
/// Remoting and the health endpoint listen on the configured interface only, as the kernel's
/// socket table shows (`sweep run`, embedded mode, is held to loopback in the CLI tests).
/// </summary>
public class BindingTests
{
    [Fact]
    public async Task Remoting_and_health_listen_on_loopback_only_when_told_to()
    {
        var (port, health) = (ListeningSockets.FreePort(), ListeningSockets.FreePort());
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        await using var node = await StartNode(db, "127.0.0.1", port, health);

        foreach (var listening in new[] { ListeningSockets.On(port), ListeningSockets.On(health) })
        {
            Assert.NotEmpty(listening);
            Assert.All(listening, address => Assert.True(IPAddress.IsLoopback(address), $"listening on {address}"));
        }
        Assert.Equal(HttpStatusCode.OK, await Probe("127.0.0.1", health));
    }

    [Fact]
    public async Task A_node_given_a_non_loopback_address_listens_on_that_address_and_no_other()
    {
        var address = ListeningSockets.MachineAddress();
        var (port, health) = (ListeningSockets.FreePort(), ListeningSockets.FreePort());
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        await using var node = await StartNode(db, address.ToString(), port, health);

        Assert.Equal([address], ListeningSockets.On(port));
        Assert.Equal([address], ListeningSockets.On(health));
        Assert.Equal(HttpStatusCode.OK, await Probe(address.ToString(), health));
    }

    [Fact]
    public async Task A_node_told_0_0_0_0_as_in_the_kubernetes_manifests_answers_probes_at_its_other_addresses()
    {
        // The manifests bind to 0.0.0.0 and advertise the pod IP; the kubelet probes the pod IP.
        var address = ListeningSockets.MachineAddress();
        var (port, health) = (ListeningSockets.FreePort(), ListeningSockets.FreePort());
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        await using var node = await StartNode(db, "0.0.0.0", port, health, publicHostname: address.ToString());

        Assert.All(ListeningSockets.On(health), a => Assert.True(a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any), $"listening on {a}"));
        Assert.Equal(HttpStatusCode.OK, await Probe(address.ToString(), health));
    }

    static Task<SweepNode> StartNode(TestDatabase db, string hostname, int port, int health, string? publicHostname = null) =>
        SweepNode.StartAsync(RecoveryTests.Embedded(db.Settings) with
        {
            Hostname = hostname, PublicHostname = publicHostname, Port = port, HealthPort = health, Devices = "cpu:1",
        }, new DatasetCatalog(new DataSettings()), "WARNING");

    static async Task<HttpStatusCode> Probe(string host, int port)
    {
        using var http = new HttpClient();
        return (await http.GetAsync($"http://{host}:{port}/alive")).StatusCode;
    }
}
