using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Sweeps;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cluster.Tests;

public class SweepPlannerTests
{
    const string AutoSpec = "name: auto\ndataset: {name: auto, train_limit: 500}\narms: [true]\nseeds: 2\n";

    [Fact]
    public void An_accepted_sweep_expands_auto_to_what_it_meant_when_accepted()
    {
        // Accepted on a node with the full Fashion-MNIST installed ...
        var plan = SweepPlanner.Plan(AutoSpec, "auto.yaml", new SpecOptions { AutoDataset = DatasetConfig.FashionMnist });
        Assert.All(plan.Trials, t => Assert.Equal(DatasetConfig.FashionMnist, t.Config.Dataset.Name));
        var submitted = new SweepSubmitted(plan.SweepId(), plan.Name, AutoSpec, "auto.yaml", false, plan.Trials.Count, DateTimeOffset.UnixEpoch,
            null, DatasetConfig.FashionMnist);

        // ... recovered anywhere: the recorded meaning, not the recovering node's, so no trial id changes.
        Assert.Equal(plan.Trials.Select(t => t.TrialId), SweepPlanner.Replan(submitted).Trials.Select(t => t.TrialId));
        Assert.Equal(plan.SweepId(), SweepPlanner.Replan(submitted).SweepId());

        // An event from before specs could say auto recorded nothing: the bundled subset, other trials.
        var unrecorded = SweepPlanner.Replan(submitted with { AutoDataset = null });
        Assert.All(unrecorded.Trials, t => Assert.Equal(DatasetConfig.BundledSubset, t.Config.Dataset.Name));
        Assert.NotEqual(plan.SweepId(), unrecorded.SweepId());
    }
}
