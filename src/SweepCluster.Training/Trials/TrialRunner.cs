using System.Diagnostics;
using System.Reflection;
using SweepCluster.Training.Data;
using SweepCluster.Training.Labels;
using SweepCluster.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SweepCluster.Training.Trials;

/// <summary>How to run a trial, as opposed to what it is: none of this enters the config hash.</summary>
/// <param name="Device">"auto", "cpu", "cuda" or "cuda:N" (see <see cref="TorchDevice.Select"/>).</param>
/// <param name="Threads">Torch intra-op threads; 0 leaves libtorch's default.</param>
public sealed record TrialRunOptions(string Device = "auto", int Threads = 0);

/// <summary>A trial that cannot succeed however often it is retried (a NaN loss, unusable data).</summary>
public sealed class TrialFailedException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>
/// Runs trials of the arbitrary-label experiment: optional pre-training on true or corrupted
/// labels, freezing the features, optional head re-initialisation, fine-tuning the head on true
/// labels, and the measurements of shared SCIENCE.md. A trial runs start to finish on one
/// dedicated thread because TorchSharp's dispose scopes belong to a thread.
/// </summary>
/// <remarks>
/// <see cref="RunFused"/> trains the K trials of one cell (configurations equal but for the
/// seeds) as one <see cref="FusedArbitraryLabelNet"/>. A lone trial is a group of one: both go
/// through the same data preparation, training loop, evaluation and result building, so each
/// fused slot follows its unfused trial step for step (its own initialisation, label noise,
/// split, normalisation, data order and head re-initialisation) and differs from it only in the
/// order of floating-point sums inside the kernels.
/// </remarks>
public sealed class TrialRunner(DatasetCatalog catalog)
{
    const int ProgressEveryBatches = 10;
    const int EvaluationBatch = 1000;

    internal static readonly string CodeVersion =
        typeof(TrialRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Runs the trial on a new thread; the task ends with the result, the failure, or cancellation.</summary>
    public Task<TrialResult> RunAsync(TrialConfig config, TrialRunOptions? options = null,
        Action<TrialProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (config.Kind == TrialKind.Sleep) return RunSleepAsync(config, cancellation);
        var done = new TaskCompletionSource<TrialResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        StartTrainingThread(() => [config.Normalise()], options, progress, cancellation, [done]);
        return done.Task;
    }

    /// <summary>
    /// Trains the trials of one cell as one fused model on a new thread and returns a task per
    /// configuration, in order. Each task ends as <see cref="RunAsync"/>'s would for that trial:
    /// with its result (its own config hash, metrics and checkpoints; <c>fused_slots</c> K), with
    /// its own <see cref="TrialFailedException"/> (a slot whose loss stopped being finite; the
    /// other slots train on, since nothing in the fused model mixes slots), or cancelled. Anything
    /// else (data that cannot be read, the device) faults every task.
    /// </summary>
    /// <remarks>
    /// Fusion needs every slot's training and validation sets to be the same size, since one step
    /// trains one batch of each slot. Splits carved by fraction always are; splits by group (an
    /// image folder with a group file) can differ between seeds. Such a group falls back to
    /// training its trials one after another, exactly as <see cref="RunAsync"/> would, and their
    /// results say <c>fused_slots</c> 1. Progress reports the group's step, with each model's images/s.
    /// Each fused result's timings are the group's (its data preparation, training and evaluation),
    /// and its images/s are one model's: its own trained images over the group's compute time.
    /// </remarks>
    /// <exception cref="ArgumentException">No configurations, a sleep trial, configurations that differ in more than their seeds, or the same trial twice.</exception>
    /// <exception cref="ConfigException">An invalid configuration.</exception>
    public IReadOnlyList<Task<TrialResult>> RunFused(IReadOnlyList<TrialConfig> configs, TrialRunOptions? options = null,
        Action<TrialProgress>? progress = null, CancellationToken cancellation = default)
    {
        var group = CheckFusable(configs);
        var done = group.Select(_ => new TaskCompletionSource<TrialResult>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        StartTrainingThread(() => group, options, progress, cancellation, done);
        return done.Select(d => d.Task).ToArray();
    }

    /// <summary>The normalised configurations, if they can train as one fused model.</summary>
    static TrialConfig[] CheckFusable(IReadOnlyList<TrialConfig> configs)
    {
        if (configs.Count == 0) throw new ArgumentException("no trials to fuse", nameof(configs));
        var group = configs.Select(c => c.Normalise()).ToArray();
        if (group.Any(c => c.Kind != TrialKind.Train))
            throw new ArgumentException("only training trials can be fused; sleep trials train nothing", nameof(configs));
        var cell = group[0].CanonicalJsonWithoutSeeds();
        var other = group.FirstOrDefault(c => c.CanonicalJsonWithoutSeeds() != cell);
        if (other is not null)
            throw new ArgumentException($"fused trials must differ only in seed and noise_seed (one cell): {cell} against {other.CanonicalJsonWithoutSeeds()}", nameof(configs));
        var twice = group.GroupBy(c => (c.Seed, c.NoiseSeed)).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new ArgumentException($"seed {twice.Key.Seed} (noise seed {twice.Key.NoiseSeed?.ToString() ?? "none"}) is given {twice.Count()} times: that is one trial", nameof(configs));
        return group;
    }

    static async Task<TrialResult> RunSleepAsync(TrialConfig requested, CancellationToken cancellation)
    {
        var config = requested.Normalise();
        return await SleepTrial.RunAsync(config, config.Hash(), cancellation);
    }

    /// <summary>Trains a group on a new thread and ends each slot's task with its outcome.</summary>
    void StartTrainingThread(Func<IReadOnlyList<TrialConfig>> group, TrialRunOptions? options, Action<TrialProgress>? progress,
        CancellationToken cancellation, IReadOnlyList<TaskCompletionSource<TrialResult>> done)
    {
        var thread = new Thread(() =>
        {
            try
            {
                var outcomes = RunThenTrim(group(), options ?? new TrialRunOptions(), progress, cancellation);
                for (var k = 0; k < done.Count; k++)
                {
                    if (outcomes[k].Failure is { } failure) done[k].SetException(failure);
                    else done[k].SetResult(outcomes[k].Result!);
                }
            }
            catch (OperationCanceledException e)
            {
                foreach (var d in done) d.SetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                foreach (var d in done) d.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "trial-runner",
        };
        thread.Start();
    }

    IReadOnlyList<SlotOutcome> RunThenTrim(IReadOnlyList<TrialConfig> group, TrialRunOptions options,
        Action<TrialProgress>? progress, CancellationToken cancellation)
    {
        try
        {
            return Run(group, options, progress, cancellation);
        }
        finally
        {
            // Run's tensors are disposed once it returns or throws: their memory goes back before anyone hears of the end.
            NativeHeap.Trim();
        }
    }

    /// <summary>Prepares each trial's data, then trains the group fused, or one by one where the slots' sizes differ.</summary>
    IReadOnlyList<SlotOutcome> Run(IReadOnlyList<TrialConfig> group, TrialRunOptions options,
        Action<TrialProgress>? progress, CancellationToken cancellation)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        if (options.Threads > 0) set_num_threads(options.Threads);
        var device = TorchDevice.Select(options.Device);
        // Every trial of a group names the same data, so it is loaded once.
        var data = catalog.Load(group[0].Dataset);
        var trials = group.Select(config => PreparedTrial.Of(config, data)).ToList();
        var dataSeconds = clock.Elapsed.TotalSeconds;

        var sameSizes = trials.All(t => t.Split.Train.Length == trials[0].Split.Train.Length
                                        && t.Split.Validation.Length == trials[0].Split.Validation.Length);
        return sameSizes
            ? Train(trials, data, device, startedAt, dataSeconds, progress, cancellation)
            : trials.SelectMany(t => Train([t], data, device, startedAt, dataSeconds, progress, cancellation)).ToList();
    }

    /// <summary>
    /// One trial's data on the host: its validation split, corrupted pre-training labels and
    /// channel statistics, each from its own seed stream.
    /// </summary>
    /// <param name="UsedLabels">The pre-training labels of the training images, in split order.</param>
    sealed record PreparedTrial(TrialConfig Config, string ConfigHash, ValidationSplit Split, CorruptedLabels? Corruption,
        int[] UsedLabels, (double[] Means, double[] Deviations) Normalisation)
    {
        public SeedStreams Seeds => Config.Seeds;

        public static PreparedTrial Of(TrialConfig config, LabelledData data)
        {
            var split = ValidationSplit.Carve(data.Train, config.Dataset.ValidationFraction, config.Seeds.Split);
            var trueLabels = split.Train.Select(i => data.Train.Labels[i]).ToArray();
            var corruption = config.Arm == Arm.Noisy
                ? LabelCorruption.Apply(trueLabels, config.Noise, config.NoiseModel, data.ClassCount, config.NoiseSeed!.Value)
                : null;
            return new PreparedTrial(config, config.Hash(), split, corruption, corruption?.Labels ?? trueLabels,
                ChannelStatistics(data.Train, split.Train));
        }
    }

    /// <summary>A slot's result, or why it failed while the rest of its group trained on.</summary>
    sealed record SlotOutcome(TrialResult? Result, TrialFailedException? Failure);

    /// <summary>What one slot records while its group trains.</summary>
    sealed class SlotLog(Dictionary<string, Tensor> initial)
    {
        public Dictionary<string, Tensor> Initial { get; } = initial;
        public List<EpochMetrics> Epochs { get; } = [];
        public List<LayerStats> Layers { get; } = [];
        public List<Checkpoint> Checkpoints { get; } = [];
        public double? PreFinetune { get; set; }
        public TrialFailedException? Failure { get; set; }
    }

    /// <summary>Trains a group of prepared trials (one, or the K of a fused group) and builds each one's result.</summary>
    static IReadOnlyList<SlotOutcome> Train(IReadOnlyList<PreparedTrial> trials, LabelledData data, Device device,
        DateTimeOffset startedAt, double dataSeconds, Action<TrialProgress>? progress, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        // The configurations differ only in their seeds, so the first speaks for all in everything else.
        var config = trials[0].Config;
        using var scope = NewDisposeScope();
        var set = new DeviceData(data, trials, device);
        using var model = TrialNetworks.Create(config.Model, data.Train.Channels, data.Train.Height, data.Train.Width, data.ClassCount,
            config.HasFeatures, trials.Select(t => t.Seeds.Init).ToList(), device);
        var slots = new List<SlotLog>();
        for (var k = 0; k < trials.Count; k++)
        {
            var single = model.Slot(k);
            slots.Add(new SlotLog(single.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone())));
            slots[k].Checkpoints.Add(Checkpoint.Of("init", single));
        }

        var compute = Stopwatch.StartNew();
        long trainedImages = 0;
        if (config.HasPretraining)
        {
            trainedImages += TrainPhase("pretrain", config.PretrainEpochs, model, model.Model.parameters(), set, set.UsedLabels,
                config, trials, slots, progress, cancellation);
            Record("pretrain", model, slots);
        }
        if (config.HasFeatures && slots.Any(s => s.Failure is null))
        {
            var before = Evaluate(model, set.TestPixels, set.TestIndex, set.TestLabels, set);
            for (var k = 0; k < slots.Count; k++) slots[k].PreFinetune = before[k].Accuracy;
            foreach (var p in model.Features.parameters()) p.requires_grad = false;
            if (config.Head == HeadInit.Reinit)
                for (var k = 0; k < trials.Count; k++) model.ReinitialiseHead(k, trials[k].Seeds.Head);
        }
        if (slots.Any(s => s.Failure is null))
        {
            trainedImages += TrainPhase("finetune", config.FinetuneEpochs, model, model.Head.parameters(), set, set.TrueLabels,
                config, trials, slots, progress, cancellation);
            Record("finetune", model, slots);
        }
        if (slots.All(s => s.Failure is not null)) return slots.Select(s => new SlotOutcome(null, s.Failure)).ToList();

        var test = Evaluate(model, set.TestPixels, set.TestIndex, set.TestLabels, set);
        var computeSeconds = compute.Elapsed.TotalSeconds;
        var environment = new RunEnvironment(device.ToString(), get_num_threads(), typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown",
            __version__, System.Environment.MachineName, CodeVersion, trials.Count);
        return slots.Select((log, k) => log.Failure is not null
            ? new SlotOutcome(null, log.Failure)
            : new SlotOutcome(BuildResult(trials[k], data, log, test[k], trainedImages,
                new Timings(dataSeconds, computeSeconds, dataSeconds + total.Elapsed.TotalSeconds), environment, startedAt), null)).ToList();
    }

    /// <summary>Layer statistics and checkpoints of every slot still training, at the end of a phase.</summary>
    static void Record(string phase, TrialNetworks model, IReadOnlyList<SlotLog> slots)
    {
        for (var k = 0; k < slots.Count; k++)
        {
            if (slots[k].Failure is not null) continue;
            var single = model.Slot(k);
            slots[k].Layers.AddRange(LayerNorms(phase, single, slots[k].Initial));
            slots[k].Checkpoints.Add(Checkpoint.Of(phase, single));
        }
    }

    static TrialResult BuildResult(PreparedTrial trial, LabelledData data, SlotLog log,
        (double Accuracy, double Loss, int[] Predictions) test, long trainedImages, Timings timings, RunEnvironment environment,
        DateTimeOffset startedAt)
    {
        var (config, split, corruption) = (trial.Config, trial.Split, trial.Corruption);
        return new TrialResult(
            TrialConfig.SchemaVersion, trial.ConfigHash, config, data.Name, trial.Seeds,
            corruption is null ? null : new CorruptionRecord(corruption.SelectedCount, corruption.RealisedFraction, corruption.LabelsHash, corruption.MaskHash),
            new SplitRecord(split.Train.Length, split.Validation.Length, data.Test.Count, split.ByGroup, split.Hash),
            trial.Normalisation.Means.Concat(trial.Normalisation.Deviations).ToArray(),
            log.Epochs, log.PreFinetune, test.Accuracy,
            PerClassAccuracy(test.Predictions, data.Test.Labels, data.ClassCount),
            Convert.ToBase64String(test.Predictions.Select(p => (byte)p).ToArray()),
            log.Layers,
            log.Checkpoints,
            timings,
            trainedImages / timings.ComputeSeconds,
            environment,
            startedAt, DateTimeOffset.UtcNow, "completed");
    }

    /// <summary>
    /// Trains <paramref name="trainable"/> for some epochs, every slot on its own permutation of
    /// its own training images. Statistics accumulate in a tensor on the device and are read once
    /// per epoch, so the step loop never waits on a host sync. The loss is the sum over slots of
    /// each slot's mean cross-entropy: a slot's gradient is then exactly its unfused gradient, and
    /// Adam and SGD update each element on its own. During fine-tuning the features are in
    /// evaluation mode (BatchNorm uses its running statistics and does not update them) and have
    /// no gradients, so they stay bit-for-bit frozen.
    /// </summary>
    /// <param name="labels">[K, N] the labels each slot trains on, indexed like the training images.</param>
    /// <returns>Images trained per slot.</returns>
    static long TrainPhase(string phase, int epochCount, TrialNetworks model, IEnumerable<Parameter> trainable,
        DeviceData set, Tensor labels, TrialConfig config, IReadOnlyList<PreparedTrial> trials, IReadOnlyList<SlotLog> slots,
        Action<TrialProgress>? progress, CancellationToken cancellation)
    {
        var parameters = trainable.ToList();
        using var optimizer = config.Optimizer switch
        {
            OptimizerKind.Adam => (optim.Optimizer)optim.Adam(parameters, config.LearningRate),
            OptimizerKind.Sgd => optim.SGD(parameters, config.LearningRate, momentum: 0.9),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Optimizer, null),
        };
        var slotCount = trials.Count;
        var n = set.TrainCount;
        var batches = (n + config.BatchSize - 1) / config.BatchSize;
        long images = 0;
        for (var epoch = 1; epoch <= epochCount; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.Model.train();
            if (phase == "finetune") model.Features.eval();
            using var order = EpochOrder(phase, epoch, trials, set.Device);
            // Per slot: loss sum, correct vs trained labels, correct vs true labels, clean correct, corrupted correct (true), corrupted correct (trained)
            using var stats = zeros([slotCount, 6], dtype: ScalarType.Float64, device: set.Device);
            for (var b = 0; b < batches; b++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var step = NewDisposeScope();
                var start = b * config.BatchSize;
                var length = Math.Min(config.BatchSize, n - start);
                var index = order.narrow(1, start, length);
                var yUsed = labels.gather(1, index);
                var logits = model.Logits(set.Inputs(set.TrainPixels, index));
                var losses = nn.functional.cross_entropy(logits.flatten(0, 1), yUsed.flatten(), reduction: nn.Reduction.None)
                    .view(slotCount, length).mean([1]);
                var loss = losses.sum();
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                using (no_grad())
                {
                    var predicted = logits.argmax(2);
                    var yTrue = set.TrueLabels.gather(1, index);
                    var corrupted = set.Corrupted.gather(1, index);
                    var rightUsed = predicted.eq(yUsed);
                    var rightTrue = predicted.eq(yTrue);
                    stats.add_(stack([
                        losses.detach().to_type(ScalarType.Float64) * length,
                        rightUsed.sum([1]).to_type(ScalarType.Float64),
                        rightTrue.sum([1]).to_type(ScalarType.Float64),
                        rightTrue.logical_and(corrupted.logical_not()).sum([1]).to_type(ScalarType.Float64),
                        rightTrue.logical_and(corrupted).sum([1]).to_type(ScalarType.Float64),
                        rightUsed.logical_and(corrupted).sum([1]).to_type(ScalarType.Float64),
                    ], 1));
                }
                images += length;
                if (progress is not null && ((b + 1) % ProgressEveryBatches == 0 || b == batches - 1))
                    progress(new TrialProgress(phase, epoch, epochCount, b + 1, batches, (b * config.BatchSize + length) / clock.Elapsed.TotalSeconds));
            }

            var s = stats.cpu().data<double>().ToArray();
            var seconds = clock.Elapsed.TotalSeconds;
            for (var k = 0; k < slotCount; k++)
                if (slots[k].Failure is null && !double.IsFinite(s[6 * k]))
                    slots[k].Failure = new TrialFailedException($"{phase} epoch {epoch}: the training loss is {s[6 * k]} (not finite); lower the learning rate");
            if (slots.All(slot => slot.Failure is not null)) break;
            var validation = set.ValidationCount > 0 ? Evaluate(model, set.TrainPixels, set.ValidationIndex, set.ValidationLabels, set) : null;
            for (var k = 0; k < slotCount; k++)
            {
                if (slots[k].Failure is not null) continue;
                var row = s.AsSpan(6 * k, 6);
                var corruptedCount = set.CorruptedCounts[k];
                var cleanCount = n - corruptedCount;
                slots[k].Epochs.Add(new EpochMetrics(phase, epoch, row[0] / n, row[1] / n, row[2] / n,
                    cleanCount > 0 ? row[3] / cleanCount : null,
                    corruptedCount > 0 ? row[4] / corruptedCount : null,
                    corruptedCount > 0 ? row[5] / corruptedCount : null,
                    validation?[k].Accuracy, validation?[k].Loss, seconds, n / seconds));
            }
        }
        return images;
    }

    /// <summary>[K, n]: row k is slot k's training images (as indices into all training images) in its own order for this epoch.</summary>
    static Tensor EpochOrder(string phase, int epoch, IReadOnlyList<PreparedTrial> trials, Device device)
    {
        var n = trials[0].Split.Train.Length;
        var order = new long[trials.Count * n];
        for (var k = 0; k < trials.Count; k++)
        {
            var train = trials[k].Split.Train;
            var seed = SeedStreams.Derive(unchecked((long)trials[k].Seeds.Order), $"{phase}/{epoch}");
            var permutation = new SplitMix64(seed).Permutation(n);
            for (var i = 0; i < n; i++) order[k * n + i] = train[permutation[i]];
        }
        return tensor(order, [trials.Count, n], device: device);
    }

    /// <summary>
    /// Accuracy, mean loss and predictions of every slot, in evaluation mode without gradients.
    /// <paramref name="index"/> [K, n] names each slot's images; <paramref name="labels"/> [K, n] their labels.
    /// </summary>
    static (double Accuracy, double Loss, int[] Predictions)[] Evaluate(TrialNetworks model, Tensor pixels, Tensor index, Tensor labels, DeviceData set)
    {
        var wasTraining = model.Model.training;
        model.Model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var slotCount = (int)index.shape[0];
        var n = (int)index.shape[1];
        // K slots evaluate K images per image of a lone trial: the same activation memory per batch.
        var batch = Math.Max(1, EvaluationBatch / slotCount);
        var predictions = new List<Tensor>();
        var lossSums = zeros(slotCount, dtype: ScalarType.Float64, device: set.Device);
        for (var start = 0; start < n; start += batch)
        {
            var length = Math.Min(batch, n - start);
            var logits = model.Logits(set.Inputs(pixels, index.narrow(1, start, length)));
            var y = labels.narrow(1, start, length);
            lossSums.add_(nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction: nn.Reduction.None)
                .view(slotCount, length).sum([1]).to_type(ScalarType.Float64));
            predictions.Add(logits.argmax(2));
        }
        var predicted = cat(predictions, 1);
        var correct = predicted.eq(labels).sum([1]).cpu().data<long>().ToArray();
        var losses = lossSums.cpu().data<double>().ToArray();
        var all = predicted.cpu().data<long>().ToArray();
        model.Model.train(wasTraining);
        return Enumerable.Range(0, slotCount)
            .Select(k => ((double)correct[k] / n, losses[k] / n, all.AsSpan(k * n, n).ToArray().Select(p => (int)p).ToArray()))
            .ToArray();
    }

    static IEnumerable<LayerStats> LayerNorms(string phase, ArbitraryLabelNet model, Dictionary<string, Tensor> initial)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            using var norm = parameter.norm();
            using var distance = (parameter - initial[name]).norm();
            yield return new LayerStats(phase, name, norm.item<float>(), distance.item<float>());
        }
    }

    static double[] PerClassAccuracy(int[] predicted, int[] labels, int classes)
    {
        var right = new int[classes];
        var count = new int[classes];
        for (var i = 0; i < labels.Length; i++)
        {
            count[labels[i]]++;
            if (predicted[i] == labels[i]) right[labels[i]]++;
        }
        return Enumerable.Range(0, classes).Select(c => count[c] == 0 ? double.NaN : (double)right[c] / count[c]).ToArray();
    }

    /// <summary>Per-channel mean and standard deviation of the training pixels (the images at <paramref name="indices"/>), in 0..1 units.</summary>
    static (double[] Means, double[] Deviations) ChannelStatistics(ImageSet images, int[] indices)
    {
        var plane = images.Height * images.Width;
        var means = new double[images.Channels];
        var deviations = new double[images.Channels];
        for (var c = 0; c < images.Channels; c++)
        {
            double sum = 0, squares = 0;
            foreach (var i in indices)
            {
                var offset = (long)i * images.ImageBytes + (long)c * plane;
                for (var p = 0; p < plane; p++)
                {
                    double v = images.Pixels[offset + p];
                    sum += v;
                    squares += v * v;
                }
            }
            var count = (double)indices.Length * plane;
            var mean = sum / count;
            means[c] = mean / 255;
            deviations[c] = Math.Max(Math.Sqrt(Math.Max(squares / count - mean * mean, 0)), 1e-3) / 255;
        }
        return (means, deviations);
    }

    /// <summary>
    /// A group's images resident on the device once, as uint8 (a quarter of the memory of
    /// float32): all training images (each slot's training and validation images are rows of
    /// index tensors into them) and the test images, converted and normalised a batch at a
    /// time with each slot's own channel statistics. Labels as int64, one row per slot.
    /// </summary>
    sealed class DeviceData
    {
        readonly Tensor _scale;
        readonly Tensor _shift;
        readonly int _slots;

        public DeviceData(LabelledData data, IReadOnlyList<PreparedTrial> trials, Device device)
        {
            Device = device;
            _slots = trials.Count;
            var all = data.Train;
            TrainCount = trials[0].Split.Train.Length;
            ValidationCount = trials[0].Split.Validation.Length;
            TrainPixels = Pixels(all, device);
            TrueLabels = Rows(trials.Select(_ => all.Labels).ToList(), device);
            // Each slot's pre-training labels over all training images; its validation images keep their true labels.
            UsedLabels = Rows(trials.Select(t =>
            {
                var used = (int[])all.Labels.Clone();
                for (var i = 0; i < t.Split.Train.Length; i++) used[t.Split.Train[i]] = t.UsedLabels[i];
                return used;
            }).ToList(), device);
            Corrupted = UsedLabels.ne(TrueLabels);
            CorruptedCounts = trials.Select(t => t.UsedLabels.Where((label, i) => label != all.Labels[t.Split.Train[i]]).Count()).ToArray();
            ValidationIndex = Rows(trials.Select(t => t.Split.Validation).ToList(), device);
            ValidationLabels = TrueLabels.gather(1, ValidationIndex);
            TestPixels = Pixels(data.Test, device);
            // Every slot is tested on the same images: each row of the index names all of them.
            TestIndex = Rows(trials.Select(_ => Enumerable.Range(0, data.Test.Count).ToArray()).ToList(), device);
            TestLabels = Rows(trials.Select(_ => data.Test.Labels).ToList(), device);
            // x_normalised = (x / 255 - mean) / std = x * scale + shift, slot k's statistics on its channels k*C..(k+1)*C
            var channels = _slots * all.Channels;
            _scale = tensor(trials.SelectMany(t => t.Normalisation.Deviations.Select(d => (float)(1 / (255 * d)))).ToArray(),
                [1, channels, 1, 1], device: device);
            _shift = tensor(trials.SelectMany(t => t.Normalisation.Means.Select((m, i) => (float)(-m / t.Normalisation.Deviations[i]))).ToArray(),
                [1, channels, 1, 1], device: device);
        }

        public Device Device { get; }
        /// <summary>Training images per slot (the same for every slot of a group).</summary>
        public int TrainCount { get; }
        public int ValidationCount { get; }
        /// <summary>[N, C, H, W]: every training image, validation images included.</summary>
        public Tensor TrainPixels { get; }
        /// <summary>[K, N]</summary>
        public Tensor TrueLabels { get; }
        /// <summary>[K, N]: what each slot pre-trains on.</summary>
        public Tensor UsedLabels { get; }
        /// <summary>[K, N]: where a slot's pre-training label is not the true one.</summary>
        public Tensor Corrupted { get; }
        public int[] CorruptedCounts { get; }
        /// <summary>[K, validation images]</summary>
        public Tensor ValidationIndex { get; }
        public Tensor ValidationLabels { get; }
        public Tensor TestPixels { get; }
        /// <summary>[K, test images]</summary>
        public Tensor TestIndex { get; }
        public Tensor TestLabels { get; }

        /// <summary>
        /// Normalised inputs [B, K*C, H, W] from <paramref name="index"/> [K, B]: slot k's images
        /// (row k) in its channels. Gathering in [B, K] order makes that layout a plain view.
        /// </summary>
        public Tensor Inputs(Tensor pixels, Tensor index)
        {
            var batch = index.shape[1];
            var images = pixels.index_select(0, index.t().reshape(-1));
            return Normalise(images.view(batch, _slots * pixels.shape[1], pixels.shape[2], pixels.shape[3]));
        }

        Tensor Normalise(Tensor bytes) => bytes.to_type(ScalarType.Float32).mul_(_scale).add_(_shift);

        static Tensor Pixels(ImageSet set, Device device) =>
            tensor(set.Pixels, [set.Count, set.Channels, set.Height, set.Width], device: device);

        /// <summary>[rows, n] int64 from equally long rows.</summary>
        static Tensor Rows(IReadOnlyList<int[]> rows, Device device)
        {
            var n = rows[0].Length;
            var values = new long[rows.Count * n];
            for (var r = 0; r < rows.Count; r++)
                for (var i = 0; i < n; i++) values[r * n + i] = rows[r][i];
            return tensor(values, [rows.Count, n], device: device);
        }
    }
}
