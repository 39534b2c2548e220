using System.Globalization;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Storage;
using SweepCluster.Storage.Tests;
using SweepCluster.Training.Data;

namespace SweepCluster.Cluster.Tests;

/// <summary>Remoting listens on the configured interface only, as the kernel's socket table shows.</summary>
public class BindingTests
{
    [Fact]
    public async Task Remoting_listens_on_loopback_only_when_told_to()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        var port = FreePort();
        var settings = new NodeSettings
        {
            Hostname = "127.0.0.1", Port = port, DatabaseProvider = db.Settings.ProviderName,
            DatabaseConnection = db.Settings.ConnectionString, Devices = "cpu:1", DownAfterSeconds = 2,
        };
        await using var node = await SweepNode.StartAsync(settings, new DatasetCatalog(new DataSettings()), "WARNING");
        var listening = ListeningAddresses(port);
        Assert.NotEmpty(listening);
        Assert.All(listening, address => Assert.True(System.Net.IPAddress.IsLoopback(address), $"listening on {address}"));
    }

    /// <summary>The local addresses of the sockets listening on a port, from the kernel's /proc/net/tcp and tcp6.</summary>
    static List<System.Net.IPAddress> ListeningAddresses(int port)
    {
        const string Listen = "0A";
        var addresses = new List<System.Net.IPAddress>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
            foreach (var fields in File.ReadLines(table).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            {
                var local = fields[1].Split(':');
                if (fields[3] != Listen || int.Parse(local[1], NumberStyles.HexNumber) != port) continue;
                // The address is printed as 32-bit words in host (little-endian) order.
                var bytes = Convert.FromHexString(local[0]).Chunk(4).SelectMany(word => word.Reverse()).ToArray();
                var address = new System.Net.IPAddress(bytes);
                addresses.Add(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
            }
        return addresses;
    }

    static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
