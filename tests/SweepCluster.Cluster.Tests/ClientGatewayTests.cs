using Akka.Actor;
using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Protocol;

namespace SweepCluster.Cluster.Tests;

/// <summary>
/// The client gateway bounds the submissions waiting in the coordinator's (unbounded) mailbox: it
/// passes on a fixed number, refuses more at once, and frees a place when the coordinator answers
/// or fails to answer in time. A real actor system, with a stand-in coordinator that answers
/// submissions only when told to.
/// </summary>
public sealed class ClientGatewayTests : IAsyncLifetime
{
    readonly ActorSystem _system = ActorSystem.Create("gateway-test");

    /// <summary>
    /// Holds every submission until <see cref="AnswerOldest"/>; answers queries at once. Its count
    /// is asked through the gateway, which forwards it after every submission sent before it.
    /// </summary>
    sealed class HeldCoordinator : ReceiveActor
    {
        public sealed class AnswerOldest
        {
            public static readonly AnswerOldest Instance = new();
        }

        public sealed class CountReceived
        {
            public static readonly CountReceived Instance = new();
        }

        readonly Queue<(IActorRef Client, SubmitSweep Submit)> _held = new();
        int _received;

        public HeldCoordinator()
        {
            Receive<SubmitSweep>(s =>
            {
                _received++;
                _held.Enqueue((Sender, s));
            });
            Receive<AnswerOldest>(_ =>
            {
                var (client, submit) = _held.Dequeue();
                client.Tell(new SweepAccepted(submit.SourceName, 1, 0));
            });
            Receive<CountReceived>(_ => Sender.Tell(_received));
            Receive<ListSweeps>(_ => Sender.Tell(new SweepList([])));
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.Terminate();

    static SubmitSweep Submission(int n) => new($"name: s{n}\narms: [true]\nseeds: 1\n", $"s{n}.yaml", Force: false);

    [Fact]
    public async Task Submissions_past_the_limit_are_refused_at_once_and_a_place_frees_when_the_coordinator_answers()
    {
        var coordinator = _system.ActorOf(Props.Create(() => new HeldCoordinator()));
        var gateway = _system.ActorOf(Props.Create(() => new ClientGateway(coordinator, 2, TimeSpan.FromMinutes(5))));
        var timeout = TimeSpan.FromSeconds(30);

        var first = gateway.Ask<ISweepMessage>(Submission(1), timeout);
        var second = gateway.Ask<ISweepMessage>(Submission(2), timeout);
        var third = await gateway.Ask<ISweepMessage>(Submission(3), timeout);

        var refused = Assert.IsType<SweepRejected>(third);
        Assert.Contains("the coordinator is busy: 2 submissions", refused.Reason);
        Assert.Contains("SWEEP_MAX_SUBMISSIONS_IN_FLIGHT", refused.Reason);
        Assert.Equal(2, await gateway.Ask<int>(HeldCoordinator.CountReceived.Instance, timeout));
        // Queries are not held back.
        Assert.IsType<SweepList>(await gateway.Ask<ISweepMessage>(ListSweeps.Instance, timeout));

        coordinator.Tell(HeldCoordinator.AnswerOldest.Instance);
        Assert.Equal("s1.yaml", Assert.IsType<SweepAccepted>(await first).SweepId);
        var fourth = gateway.Ask<ISweepMessage>(Submission(4), timeout);
        Assert.Equal(3, await gateway.Ask<int>(HeldCoordinator.CountReceived.Instance, timeout));

        coordinator.Tell(HeldCoordinator.AnswerOldest.Instance);
        coordinator.Tell(HeldCoordinator.AnswerOldest.Instance);
        Assert.Equal("s2.yaml", Assert.IsType<SweepAccepted>(await second).SweepId);
        Assert.Equal("s4.yaml", Assert.IsType<SweepAccepted>(await fourth).SweepId);
    }

    [Fact]
    public async Task A_submission_the_coordinator_never_answers_is_refused_after_the_answer_timeout_and_frees_its_place()
    {
        var coordinator = _system.ActorOf(Props.Create(() => new HeldCoordinator()));
        var gateway = _system.ActorOf(Props.Create(() => new ClientGateway(coordinator, 1, TimeSpan.FromMilliseconds(500))));
        var timeout = TimeSpan.FromSeconds(30);

        var lost = Assert.IsType<SweepRejected>(await gateway.Ask<ISweepMessage>(Submission(1), timeout));
        Assert.Contains("did not answer", lost.Reason);

        var next = gateway.Ask<ISweepMessage>(Submission(2), timeout);
        Assert.Equal(2, await gateway.Ask<int>(HeldCoordinator.CountReceived.Instance, timeout));
        Assert.IsType<SweepRejected>(await next); // held too, so it times out in turn
    }
}
