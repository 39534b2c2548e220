using Akka.Actor;
using SweepCluster.Cluster.Client;
using SweepCluster.Cluster.Protocol;

namespace SweepCluster.Cluster.Coordinator;

/// <summary>
/// The coordinator's fixed address for clients outside the cluster: registered with the
/// ClusterClient receptionist at <see cref="Path"/>. Queries and cancellations are forwarded to
/// the singleton proxy, so replies go straight back to the client. Submissions are the costly
/// messages (up to a frame of YAML each, parsed and expanded by the coordinator one at a time),
/// and the coordinator's mailbox is unbounded, so at most <c>maxSubmissionsInFlight</c> are passed
/// on and unanswered at once; one more is refused at once instead of queuing there. A submission
/// the coordinator has not answered within <see cref="AnswerTimeout"/> is refused and frees its
/// place, so a coordinator that lost one (it was restarting, say) cannot block submissions for good.
/// </summary>
public sealed class ClientGateway : ReceiveActor
{
    public const string Name = "sweep-gateway";
    public const string Path = "/user/" + Name;

    /// <summary>How long the gateway waits for the coordinator's answer: less than a client waits, so the client hears why.</summary>
    public static readonly TimeSpan AnswerTimeout = SweepClient.DefaultTimeout - TimeSpan.FromSeconds(5);

    /// <summary>The coordinator's answer to a submission, or null when none came in time.</summary>
    sealed record SubmissionAnswered(IActorRef Client, object? Reply);

    int _submissionsInFlight;

    public ClientGateway(IActorRef coordinator, int maxSubmissionsInFlight, TimeSpan answerTimeout)
    {
        Receive<SubmitSweep>(submit =>
        {
            if (_submissionsInFlight >= maxSubmissionsInFlight)
            {
                Sender.Tell(new SweepRejected(
                    $"the coordinator is busy: {_submissionsInFlight} submissions through this node are waiting for its answer, the most it passes on at once (SWEEP_MAX_SUBMISSIONS_IN_FLIGHT); submit again when they are answered"));
                return;
            }
            _submissionsInFlight++;
            var client = Sender;
            coordinator.Ask<object>(submit, answerTimeout)
                .PipeTo(Self, success: reply => new SubmissionAnswered(client, reply), failure: _ => new SubmissionAnswered(client, null));
        });
        Receive<SubmissionAnswered>(answered =>
        {
            _submissionsInFlight--;
            answered.Client.Tell(answered.Reply ?? new SweepRejected($"the coordinator did not answer within {answerTimeout.TotalSeconds:N0} s; `sweep list` shows whether it took the sweep"));
        });
        ReceiveAny(message => coordinator.Forward(message));
    }

    public static Props Props(IActorRef coordinator, int maxSubmissionsInFlight) =>
        Akka.Actor.Props.Create(() => new ClientGateway(coordinator, maxSubmissionsInFlight, AnswerTimeout));
}
