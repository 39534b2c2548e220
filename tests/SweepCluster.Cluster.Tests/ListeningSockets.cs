using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace SweepCluster.Cluster.Tests;

/// <summary>
/// What the kernel says is listening, and where: the binding tests of nodes and of `sweep run` read it.
/// Also the free ports that every test starting a node or server binds it to.
/// </summary>
public static class ListeningSockets
{
    /// <summary>The local addresses of the TCP sockets listening on a port, from the kernel's /proc/net/tcp and tcp6.</summary>
    public static List<IPAddress> On(int port)
    {
        const string Listen = "0A";
        var addresses = new List<IPAddress>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
            foreach (var fields in File.ReadLines(table).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            {
                var local = fields[1].Split(':');
                if (fields[3] != Listen || int.Parse(local[1], NumberStyles.HexNumber) != port) continue;
                // The address is printed as 32-bit words in host (little-endian) order.
                var bytes = Convert.FromHexString(local[0]).Chunk(4).SelectMany(word => word.Reverse()).ToArray();
                var address = new IPAddress(bytes);
                addresses.Add(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
            }
        return addresses;
    }

    /// <summary>An IPv4 address of this machine other than loopback (an interface that is up), as a node on a real network would be given.</summary>
    public static IPAddress MachineAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
        ?? throw new InvalidOperationException("this machine has no IPv4 address besides loopback to bind a node to; the binding tests need one (any up interface)");

    /// <summary>A loopback port nothing listens on now: the kernel picks it for a listener closed at once.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
