using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SweepCluster.Training.Data;
using SweepCluster.Training.Model;
using SweepCluster.Training.Trials;
using TorchSharp;
using static TorchSharp.torch;

namespace SweepCluster.Training.Tests;

/// <summary>
/// Fused seeds: K trials of one cell trained as one <see cref="FusedArbitraryLabelNet"/> give
/// each trial the result it gets alone, up to the order of floating-point sums, on the bundled
/// Fashion-MNIST subset.
/// </summary>
/// <remarks>
/// Tolerances. A fused slot runs the same operations on the same numbers as its lone trial; only
/// the kernels differ (grouped against plain convolutions, batched against single matrix
/// products), and with them the order of float32 sums. Measured here over the three cells below
/// (one epoch per phase on 540 training images), the largest gaps were 1.1e-5 in an epoch's loss,
/// 5.1e-5 relative in a layer's norm or distance from initialisation, and not one prediction or
/// accuracy apart. The bounds are about ten times those gaps, and allow a few predictions that sit
/// on a tie between two classes to flip, as they may on another CPU's kernels.
/// </remarks>
public class FusedTrialTests
{
    const double LossTolerance = 1e-4;
    const double LayerTolerance = 5e-4;
    const int FlippedPredictionsAllowed = 4;

    static readonly TrialRunner Runner = new(TestData.Catalog);
    static readonly TrialRunOptions Cpu = new("cpu", Threads: 2);

    public static TheoryData<string> Cells => new() { "noisy 0.5, adam", "true, head reinit, sgd", "head-only" };

    static TrialConfig Cell(string name) => name switch
    {
        // Corruption (p = 0.5) differs per seed, so each slot pre-trains on its own labels.
        "noisy 0.5, adam" => new TrialConfig { Arm = Arm.Noisy, Noise = 0.5, Dataset = new() { TrainLimit = 600 } },
        "true, head reinit, sgd" => new TrialConfig
        {
            Arm = Arm.True, Head = HeadInit.Reinit, Optimizer = OptimizerKind.Sgd, LearningRate = 0.01, Dataset = new() { TrainLimit = 600 },
        },
        "head-only" => new TrialConfig { Arm = Arm.HeadOnly, Dataset = new() { TrainLimit = 600 } },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Each_fused_slot_matches_the_trial_with_its_seed_run_alone(string cell)
    {
        var configs = new[] { 1, 2, 3 }.Select(seed => Cell(cell) with { Seed = seed }).ToArray();

        var fused = await Task.WhenAll(Runner.RunFused(configs, Cpu));

        Assert.Equal(3, fused.Select(r => r.Checkpoints[0].Features + r.Checkpoints[0].Head).Distinct().Count());
        foreach (var (config, slot) in configs.Zip(fused))
        {
            var alone = await Runner.RunAsync(config, Cpu);
            Assert.Equal(config.Hash(), slot.ConfigHash);
            Assert.Equal((3, 1), (slot.Environment.FusedSlots, alone.Environment.FusedSlots));
            // Everything decided on the host from the seed streams is identical.
            Assert.Equal(alone.Seeds, slot.Seeds);
            Assert.Equal(alone.Corruption, slot.Corruption);
            Assert.Equal(alone.Split, slot.Split);
            Assert.Equal(alone.Normalisation, slot.Normalisation);
            // The initial weights are copied from the same draws, bit for bit.
            Assert.Equal(alone.Checkpoints[0], slot.Checkpoints[0]);

            Assert.Equal(alone.Epochs.Select(e => (e.Phase, e.Epoch)), slot.Epochs.Select(e => (e.Phase, e.Epoch)));
            foreach (var (a, f) in alone.Epochs.Zip(slot.Epochs))
            {
                var images = slot.Split.Train;
                Assert.Equal(a.TrainLoss, f.TrainLoss, LossTolerance);
                Assert.Equal(a.ValidationLoss!.Value, f.ValidationLoss!.Value, LossTolerance);
                Assert.Equal(a.TrainAccuracy, f.TrainAccuracy, 2.0 / images);
                Assert.Equal(a.TrainTrueAccuracy, f.TrainTrueAccuracy, 2.0 / images);
                Assert.Equal(a.ValidationAccuracy!.Value, f.ValidationAccuracy!.Value, 2.0 / slot.Split.Validation);
                Assert.Equal(a.CorruptedMemorisedAccuracy.HasValue, f.CorruptedMemorisedAccuracy.HasValue);
            }
            Assert.Equal(alone.Layers.Select(l => (l.Phase, l.Name)), slot.Layers.Select(l => (l.Phase, l.Name)));
            foreach (var (a, f) in alone.Layers.Zip(slot.Layers))
            {
                AssertClose(a.Norm, f.Norm, $"{a.Phase} {a.Name} norm");
                AssertClose(a.DistanceFromInit, f.DistanceFromInit, $"{a.Phase} {a.Name} distance from init");
            }

            var flipped = Convert.FromBase64String(alone.TestPredictions).Zip(Convert.FromBase64String(slot.TestPredictions)).Count(p => p.First != p.Second);
            Assert.True(flipped <= FlippedPredictionsAllowed, $"seed {config.Seed}: {flipped} of 2000 test predictions differ");
            Assert.Equal(alone.TestAccuracy, slot.TestAccuracy, (double)FlippedPredictionsAllowed / slot.Split.Test);
            Assert.Equal(alone.PreFinetuneTestAccuracy.HasValue, slot.PreFinetuneTestAccuracy.HasValue);
            if (alone.PreFinetuneTestAccuracy is { } before)
                Assert.Equal(before, slot.PreFinetuneTestAccuracy!.Value, (double)FlippedPredictionsAllowed / slot.Split.Test);
        }
    }

    [Fact]
    public async Task Fused_fine_tuning_leaves_every_slots_features_bit_for_bit_unchanged()
    {
        var trained = await Task.WhenAll(Runner.RunFused(
            [.. new[] { 4, 5 }.Select(seed => new TrialConfig { Arm = Arm.True, Seed = seed, Dataset = new() { TrainLimit = 300 } })], Cpu));
        var random = await Task.WhenAll(Runner.RunFused(
            [.. new[] { 4, 5 }.Select(seed => new TrialConfig { Arm = Arm.RandomFrozen, Seed = seed, Dataset = new() { TrainLimit = 300 } })], Cpu));

        foreach (var result in trained)
        {
            var (init, pretrain, finetune) = (result.Checkpoints[0], result.Checkpoints[1], result.Checkpoints[2]);
            Assert.Equal(["init", "pretrain", "finetune"], result.Checkpoints.Select(c => c.Phase));
            Assert.NotEqual(init.Features, pretrain.Features);
            Assert.Equal(pretrain.Features, finetune.Features);
            Assert.NotEqual(pretrain.Head, finetune.Head);
        }
        foreach (var (result, pretrained) in random.Zip(trained))
        {
            // Random-frozen fine-tunes on the features the true arm with its seed started from.
            Assert.Equal(pretrained.Checkpoints[0].Features, result.Checkpoints[0].Features);
            Assert.Equal(result.Checkpoints[0].Features, result.Checkpoints.Single(c => c.Phase == "finetune").Features);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_fused_model_computes_and_differentiates_each_slot_as_its_single_network(bool withFeatures)
    {
        using var scope = NewDisposeScope();
        var config = new ModelConfig { Conv1 = 4, Conv2 = 6, Dense = 8, Kernel = 3 };
        const int slots = 3, batch = 5, side = 10, classes = 4;
        var singles = Enumerable.Range(0, slots).Select(k =>
        {
            var single = new ArbitraryLabelNet(config, 1, side, side, classes, withFeatures);
            ArbitraryLabelNet.Initialise(single, (ulong)(11 + k));
            return single;
        }).ToArray();
        using var fused = new FusedArbitraryLabelNet(slots, config, 1, side, side, classes, withFeatures);
        for (var k = 0; k < slots; k++) fused.LoadSlot(k, singles[k]);
        for (var k = 0; k < slots; k++)
        {
            using var copy = new ArbitraryLabelNet(config, 1, side, side, classes, withFeatures);
            fused.CopySlotTo(k, copy);
            Assert.Equal(Checkpoint.Of("init", singles[k]), Checkpoint.Of("init", copy));
        }

        var generator = new Generator(seed: 5);
        var inputs = Enumerable.Range(0, slots).Select(_ => randn([batch, 1, side, side], generator: generator)).ToArray();
        var labels = Enumerable.Range(0, slots).Select(_ => randint(classes, [batch], generator: generator)).ToArray();
        var logits = fused.forward(cat(inputs, 1));
        Assert.Equal([slots, batch, classes], logits.shape);
        nn.functional.cross_entropy(logits.flatten(0, 1), cat(labels, 0), reduction: nn.Reduction.None).view(slots, batch).mean([1]).sum().backward();

        var fusedParameters = fused.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        for (var k = 0; k < slots; k++)
        {
            var alone = singles[k].forward(inputs[k]);
            Assert.True(alone.allclose(logits[k], rtol: 1e-5, atol: 1e-6), $"slot {k}: logits differ");
            nn.functional.cross_entropy(alone, labels[k]).backward();
            foreach (var (name, parameter) in singles[k].named_parameters())
            {
                var all = fusedParameters[name].grad!;
                var inSlot = all.dim() == parameter.dim() + 1 ? all[k] : all.narrow(0, k * parameter.shape[0], parameter.shape[0]);
                Assert.True(parameter.grad!.allclose(inSlot, rtol: 1e-4, atol: 1e-6), $"slot {k}: gradient of {name} differs");
            }
        }
        foreach (var single in singles) single.Dispose();
    }

    [Fact]
    public void Moving_a_fused_model_moves_its_batched_head()
    {
        // A move to another dtype replaces parameters the way a move to CUDA does, which no test here can reach.
        using var scope = NewDisposeScope();
        using var fused = new FusedArbitraryLabelNet(2, new ModelConfig { Conv1 = 2, Conv2 = 2, Dense = 3 }, 1, 6, 6, 2, withFeatures: true);
        fused.to(ScalarType.Float64);
        Assert.All(fused.parameters(), p => Assert.Equal(ScalarType.Float64, p.dtype));
        Assert.Equal(ScalarType.Float64, fused.forward(ones([1, 2, 6, 6], ScalarType.Float64)).dtype);
    }

    [Fact]
    public async Task A_group_whose_splits_differ_in_size_trains_one_trial_after_another()
    {
        using var folder = new TestData.TempFolder();
        var (root, groupFile) = WriteGroupedImageFolder(folder);
        var runner = new TrialRunner(new DatasetCatalog(new DataSettings
        {
            DataRoots = new DataRoots([folder.Path]), CacheDirectory = folder.File("cache"),
        }));
        var cell = new TrialConfig
        {
            Arm = Arm.HeadOnly,
            Dataset = new DatasetConfig
            {
                Name = DatasetConfig.ImageFolder, Path = root, GroupFile = groupFile, ImageSize = 28, Channels = 1, ValidationFraction = 0.3,
            },
        };
        var results = await Task.WhenAll(runner.RunFused([cell with { Seed = 1 }, cell with { Seed = 2 }, cell with { Seed = 3 }], Cpu));

        Assert.True(results.Select(r => r.Split.Validation).Distinct().Count() > 1,
            $"validation sizes {string.Join(", ", results.Select(r => r.Split.Validation))}: the group file should split seeds unevenly");
        foreach (var result in results)
        {
            var alone = await runner.RunAsync(result.Config, Cpu);
            Assert.Equal(1, result.Environment.FusedSlots);
            Assert.Equal(alone.Checkpoints, result.Checkpoints);
            Assert.Equal(alone.TestPredictions, result.TestPredictions);
            Assert.Equal(alone.Epochs.Select(e => (e.TrainLoss, e.ValidationLoss)), result.Epochs.Select(e => (e.TrainLoss, e.ValidationLoss)));
        }
    }

    [Fact]
    public async Task A_slot_whose_loss_diverges_fails_with_its_reason()
    {
        var cell = new TrialConfig { Arm = Arm.HeadOnly, LearningRate = 10, Optimizer = OptimizerKind.Sgd, Dataset = new() { TrainLimit = 3_000 } };
        var tasks = Runner.RunFused([cell with { Seed = 1 }, cell with { Seed = 2 }], Cpu);
        foreach (var task in tasks)
        {
            var error = await Assert.ThrowsAsync<TrialFailedException>(() => task);
            Assert.Contains("not finite", error.Message);
        }
    }

    [Fact]
    public async Task Cancelling_a_fused_group_cancels_every_trial_in_it()
    {
        using var cancel = new CancellationTokenSource();
        var reports = 0;
        var tasks = Runner.RunFused(
            [new TrialConfig { Arm = Arm.True, Seed = 1, PretrainEpochs = 50 }, new TrialConfig { Arm = Arm.True, Seed = 2, PretrainEpochs = 50 }],
            Cpu, _ => { if (Interlocked.Increment(ref reports) == 2) cancel.Cancel(); }, cancel.Token);
        foreach (var task in tasks) await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
    }

    [Fact]
    public async Task Trials_that_are_not_one_cell_are_refused_before_anything_runs()
    {
        var noisy = new TrialConfig { Arm = Arm.Noisy, Noise = 0.5 };
        var other = Assert.Throws<ArgumentException>(() => Runner.RunFused([noisy with { Seed = 1 }, noisy with { Seed = 2, Noise = 0.4 }]));
        Assert.Contains("differ only in seed and noise_seed", other.Message);
        Assert.Contains("\"noise\":0.4", other.Message);
        var twice = Assert.Throws<ArgumentException>(() => Runner.RunFused([noisy with { Seed = 1 }, noisy with { Seed = 1 }]));
        Assert.Contains("seed 1", twice.Message);
        // The same seed with its own noise seed is another trial: accepted (and here cancelled before its first step).
        var accepted = Runner.RunFused([noisy with { Seed = 1, NoiseSeed = 7 }, noisy with { Seed = 1, NoiseSeed = 8 }], Cpu,
            cancellation: new CancellationToken(canceled: true));
        foreach (var task in accepted) await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        var sleep = Assert.Throws<ArgumentException>(() => Runner.RunFused([new TrialConfig { Kind = TrialKind.Sleep, Seed = 1 }]));
        Assert.Contains("sleep", sleep.Message);
        Assert.Throws<ArgumentException>(() => Runner.RunFused([]));
        Assert.Throws<ConfigException>(() => Runner.RunFused([new TrialConfig { BatchSize = 0 }]));
    }

    [Fact]
    public void A_record_from_before_fusion_reads_as_trained_alone()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new RunEnvironment("cpu", 2, "0.107.0", "2.10.0", "host", "v", FusedSlots: 4), TrialJson.Options);
        Assert.Contains("\"fused_slots\": 4", json);
        var old = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        old.Remove("fused_slots");
        Assert.Equal(1, System.Text.Json.JsonSerializer.Deserialize<RunEnvironment>(old.ToJsonString(), TrialJson.Options)!.FusedSlots);
    }

    static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= LayerTolerance * Math.Max(Math.Abs(expected), 1e-3),
            $"{what}: {actual} against {expected} alone");

    /// <summary>
    /// 60 images of the bundled subset as PNG class folders, with a group file whose 12 subjects
    /// have 1 to 9 images each, so a validation split by subject has a different size per seed.
    /// </summary>
    static (string Root, string GroupFile) WriteGroupedImageFolder(TestData.TempFolder folder)
    {
        var source = TestData.Catalog.Load(new DatasetConfig()).Train;
        var root = folder.File("images");
        var lines = new List<string> { "subject,classname,img" };
        int[] sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 5, 6, 4];
        var image = 0;
        for (var subject = 0; subject < sizes.Length; subject++)
        for (var i = 0; i < sizes[subject]; i++, image++)
        {
            var className = $"c{source.Labels[image]}";
            var file = $"{image:D3}.png";
            Directory.CreateDirectory(Path.Combine(root, className));
            using var png = Image.LoadPixelData<L8>(source.Pixels.AsSpan(image * source.ImageBytes, source.ImageBytes), source.Width, source.Height);
            png.SaveAsPng(Path.Combine(root, className, file));
            lines.Add($"s{subject:D2},{className},{file}");
        }
        var groupFile = folder.File("groups.csv");
        File.WriteAllLines(groupFile, lines);
        return (root, groupFile);
    }
}
