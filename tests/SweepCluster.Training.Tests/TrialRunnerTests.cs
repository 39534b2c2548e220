using SweepCluster.Training.Trials;

namespace SweepCluster.Training.Tests;

/// <summary>
/// Real training on the bundled Fashion-MNIST subset (10,000 training and 2,000 test images),
/// one epoch per phase, Adam lr 1e-4, batch 64: the protocol of the reference probe.
/// </summary>
public class TrialRunnerTests
{
    static readonly TrialRunner Runner = new(TestData.Catalog);
    static readonly TrialRunOptions Cpu = new("cpu", Threads: 2);

    static Task<TrialResult> Run(TrialConfig config) => Runner.RunAsync(config, Cpu);

    [Fact]
    public async Task A_true_label_trial_reaches_080_test_accuracy_and_keeps_its_features_frozen()
    {
        var result = await Run(new TrialConfig { Arm = Arm.True, Seed = 7 });
        Assert.True(result.TestAccuracy >= 0.80, $"test accuracy {result.TestAccuracy}");
        Assert.True(result.PreFinetuneTestAccuracy >= 0.70, $"before fine-tuning {result.PreFinetuneTestAccuracy}");

        var pretrain = result.Checkpoints.Single(c => c.Phase == "pretrain");
        var finetune = result.Checkpoints.Single(c => c.Phase == "finetune");
        Assert.Equal(pretrain.Features, finetune.Features);
        Assert.NotEqual(pretrain.Head, finetune.Head);
        Assert.Equal(["pretrain", "finetune"], result.Epochs.Select(e => e.Phase));
        Assert.Equal(2_000, result.TestPerClassAccuracy.Length * 200);
        Assert.Equal(2_000, Convert.FromBase64String(result.TestPredictions).Length);
        Assert.Equal("completed", result.Status);
    }

    [Fact]
    public async Task Arbitrary_labels_score_chance_before_fine_tuning_and_at_least_060_after()
    {
        var result = await Run(new TrialConfig { Arm = Arm.Noisy, Noise = 1, Seed = 7 });
        Assert.True(result.PreFinetuneTestAccuracy <= 0.20, $"before fine-tuning {result.PreFinetuneTestAccuracy}");
        Assert.True(result.TestAccuracy >= 0.60, $"after fine-tuning {result.TestAccuracy}");
        Assert.Equal(9_000, result.Corruption!.Selected);
        Assert.InRange(result.Corruption.RealisedFraction, 0.85, 0.95);
        // While pre-training on arbitrary labels the network agrees with the true labels at chance.
        var pretrain = result.Epochs.Single(e => e.Phase == "pretrain");
        Assert.InRange(pretrain.TrainTrueAccuracy, 0.05, 0.20);
        Assert.InRange(pretrain.CorruptedTrueAccuracy!.Value, 0.0, 0.20);
    }

    [Fact]
    public async Task The_same_seed_gives_identical_results_and_arms_share_their_initial_weights()
    {
        var config = new TrialConfig { Arm = Arm.Noisy, Noise = 0.5, Seed = 3, Dataset = new() { TrainLimit = 1_500 } };
        var first = await Run(config);
        var second = await Run(config);
        Assert.Equal(first.ConfigHash, second.ConfigHash);
        Assert.Equal(first.TestPredictions, second.TestPredictions);
        Assert.Equal(first.TestAccuracy, second.TestAccuracy);
        Assert.Equal(first.Checkpoints, second.Checkpoints);
        Assert.Equal(first.Epochs.Select(e => (e.TrainLoss, e.ValidationAccuracy)), second.Epochs.Select(e => (e.TrainLoss, e.ValidationAccuracy)));

        var control = await Run(new TrialConfig { Arm = Arm.RandomFrozen, Seed = 3, Dataset = new() { TrainLimit = 1_500 } });
        Assert.Equal(first.Checkpoints[0], control.Checkpoints[0] with { Phase = "init" });
        Assert.Equal(first.Split.Hash, control.Split.Hash);
        // Random-frozen fine-tunes on features that were never trained.
        Assert.Equal(control.Checkpoints[0].Features, control.Checkpoints.Single(c => c.Phase == "finetune").Features);

        var otherSeed = await Run(config with { Seed = 4 });
        Assert.NotEqual(first.Checkpoints[0].Features, otherSeed.Checkpoints[0].Features);
    }

    [Fact]
    public async Task Head_only_trains_the_dense_layers_on_raw_pixels()
    {
        var result = await Run(new TrialConfig { Arm = Arm.HeadOnly, Seed = 1, Dataset = new() { TrainLimit = 2_000 } });
        Assert.Null(result.PreFinetuneTestAccuracy);
        Assert.Equal(["finetune"], result.Epochs.Select(e => e.Phase));
        Assert.DoesNotContain(result.Layers, l => l.Name.StartsWith("features."));
        Assert.True(result.TestAccuracy >= 0.60, $"head-only {result.TestAccuracy}");
    }

    [Fact]
    public async Task A_trial_reports_progress_and_can_be_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        var reports = new List<TrialProgress>();
        var run = Runner.RunAsync(new TrialConfig { Arm = Arm.True, Seed = 2, PretrainEpochs = 50 }, Cpu, p =>
        {
            lock (reports) reports.Add(p);
            if (reports.Count == 3) cancel.Cancel();
        }, cancel.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(reports.Count >= 3);
        Assert.All(reports, p => Assert.Equal("pretrain", p.Phase));
        Assert.True(reports[^1].Batch > reports[0].Batch);
    }

    [Fact]
    public async Task A_diverging_trial_fails_with_its_reason()
    {
        var config = new TrialConfig { Arm = Arm.HeadOnly, Seed = 1, LearningRate = 10, Optimizer = OptimizerKind.Sgd, Dataset = new() { TrainLimit = 3_000 } };
        var error = await Assert.ThrowsAsync<TrialFailedException>(() => Run(config));
        Assert.Contains("not finite", error.Message);
    }
}
