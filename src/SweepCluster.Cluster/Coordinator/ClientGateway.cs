using Akka.Actor;

namespace SweepCluster.Cluster.Coordinator;

/// <summary>
/// The coordinator's fixed address for clients outside the cluster: registered with the
/// ClusterClient receptionist at <see cref="Path"/>, it forwards everything to the singleton
/// proxy, so replies go straight back to the client.
/// </summary>
public sealed class ClientGateway : ReceiveActor
{
    public const string Name = "sweep-gateway";
    public const string Path = "/user/" + Name;

    public ClientGateway(IActorRef coordinator) => ReceiveAny(message => coordinator.Forward(message));
}
