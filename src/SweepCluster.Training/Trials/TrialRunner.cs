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
/// Runs one trial of the arbitrary-label experiment: optional pre-training on true or corrupted
/// labels, freezing the features, optional head re-initialisation, fine-tuning the head on true
/// labels, and the measurements of shared SCIENCE.md. A trial runs start to finish on one
/// dedicated thread because TorchSharp's dispose scopes belong to a thread.
/// </summary>
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
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(RunThenTrim(config, options ?? new TrialRunOptions(), progress, cancellation));
            }
            catch (OperationCanceledException e)
            {
                done.SetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "trial-runner",
        };
        thread.Start();
        return done.Task;
    }

    static async Task<TrialResult> RunSleepAsync(TrialConfig requested, CancellationToken cancellation)
    {
        var config = requested.Normalise();
        return await SleepTrial.RunAsync(config, config.Hash(), cancellation);
    }

    TrialResult RunThenTrim(TrialConfig config, TrialRunOptions options, Action<TrialProgress>? progress, CancellationToken cancellation)
    {
        try
        {
            return Run(config, options, progress, cancellation);
        }
        finally
        {
            // Run's tensors are disposed once it returns or throws: their memory goes back before anyone hears of the end.
            NativeHeap.Trim();
        }
    }

    TrialResult Run(TrialConfig requested, TrialRunOptions options, Action<TrialProgress>? progress, CancellationToken cancellation)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var total = Stopwatch.StartNew();
        var config = requested.Normalise();
        var configHash = config.Hash();
        var seeds = config.Seeds;
        if (options.Threads > 0) set_num_threads(options.Threads);
        var device = TorchDevice.Select(options.Device);

        // Data: load, carve validation from training, corrupt the pre-training labels.
        var data = catalog.Load(config.Dataset);
        var split = ValidationSplit.Carve(data.Train, config.Dataset.ValidationFraction, seeds.Split);
        var train = data.Train.Select(split.Train);
        var validation = data.Train.Select(split.Validation);
        var corruption = config.Arm == Arm.Noisy
            ? LabelCorruption.Apply(train.Labels, config.Noise, config.NoiseModel, data.ClassCount, config.NoiseSeed!.Value)
            : null;
        var normalisation = ChannelStatistics(train);
        var dataSeconds = total.Elapsed.TotalSeconds;

        using var scope = NewDisposeScope();
        var set = new DeviceData(train, validation, data.Test, corruption?.Labels ?? train.Labels, normalisation, device);
        using var model = new ArbitraryLabelNet(config.Model, train.Channels, train.Height, train.Width, data.ClassCount, config.HasFeatures);
        ArbitraryLabelNet.Initialise(model, seeds.Init);
        model.to(device);
        var initial = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var checkpoints = new List<Checkpoint> { Checkpoint.Of("init", model) };

        var epochs = new List<EpochMetrics>();
        var layers = new List<LayerStats>();
        var compute = Stopwatch.StartNew();
        long trainedImages = 0;
        double? preFinetune = null;

        if (config.HasPretraining)
        {
            trainedImages += TrainPhase("pretrain", config.PretrainEpochs, model, model.parameters(), set, set.UsedLabels,
                config, seeds, epochs, progress, cancellation);
            layers.AddRange(LayerNorms("pretrain", model, initial));
            checkpoints.Add(Checkpoint.Of("pretrain", model));
        }
        if (config.HasFeatures)
        {
            preFinetune = Evaluate(model, set.TestX, set.TestY, set).Accuracy;
            foreach (var p in model.Features.parameters()) p.requires_grad = false;
            if (config.Head == HeadInit.Reinit) ArbitraryLabelNet.Initialise(model.Head, seeds.Head);
        }
        trainedImages += TrainPhase("finetune", config.FinetuneEpochs, model, model.Head.parameters(), set, set.TrainY,
            config, seeds, epochs, progress, cancellation);
        layers.AddRange(LayerNorms("finetune", model, initial));
        checkpoints.Add(Checkpoint.Of("finetune", model));

        var test = Evaluate(model, set.TestX, set.TestY, set);
        var computeSeconds = compute.Elapsed.TotalSeconds;
        return new TrialResult(
            TrialConfig.SchemaVersion, configHash, config, data.Name, seeds,
            corruption is null ? null : new CorruptionRecord(corruption.SelectedCount, corruption.RealisedFraction, corruption.LabelsHash, corruption.MaskHash),
            new SplitRecord(train.Count, validation.Count, data.Test.Count, split.ByGroup, split.Hash),
            normalisation.Means.Concat(normalisation.Deviations).ToArray(),
            epochs, preFinetune, test.Accuracy,
            PerClassAccuracy(test.Predictions, data.Test.Labels, data.ClassCount),
            Convert.ToBase64String(test.Predictions.Select(p => (byte)p).ToArray()),
            layers,
            checkpoints,
            new Timings(dataSeconds, computeSeconds, total.Elapsed.TotalSeconds),
            trainedImages / computeSeconds,
            new RunEnvironment(device.ToString(), get_num_threads(), typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown",
                __version__, System.Environment.MachineName, CodeVersion),
            startedAt, DateTimeOffset.UtcNow, "completed");
    }

    /// <summary>
    /// Trains <paramref name="trainable"/> for some epochs. Statistics accumulate in a tensor on
    /// the device and are read once per epoch, so the step loop never waits on a host sync.
    /// During fine-tuning the features are in evaluation mode (BatchNorm uses its running
    /// statistics and does not update them) and have no gradients, so they stay bit-for-bit frozen.
    /// </summary>
    static long TrainPhase(string phase, int epochCount, ArbitraryLabelNet model, IEnumerable<Parameter> trainable,
        DeviceData set, Tensor labels, TrialConfig config, SeedStreams seeds, List<EpochMetrics> epochs,
        Action<TrialProgress>? progress, CancellationToken cancellation)
    {
        var parameters = trainable.ToList();
        using var optimizer = config.Optimizer switch
        {
            OptimizerKind.Adam => (optim.Optimizer)optim.Adam(parameters, config.LearningRate),
            OptimizerKind.Sgd => optim.SGD(parameters, config.LearningRate, momentum: 0.9),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Optimizer, null),
        };
        var n = (int)set.TrainY.shape[0];
        var batches = (n + config.BatchSize - 1) / config.BatchSize;
        long images = 0;
        for (var epoch = 1; epoch <= epochCount; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.train();
            if (phase == "finetune") model.Features.eval();
            var orderSeed = SeedStreams.Derive(unchecked((long)seeds.Order), $"{phase}/{epoch}");
            using var order = tensor(new SplitMix64(orderSeed).Permutation(n).Select(i => (long)i).ToArray(), device: set.Device);
            // loss sum, correct vs trained labels, correct vs true labels, clean correct, corrupted correct (true), corrupted correct (trained)
            using var stats = zeros(6, dtype: ScalarType.Float64, device: set.Device);
            for (var b = 0; b < batches; b++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var step = NewDisposeScope();
                var start = b * config.BatchSize;
                var length = Math.Min(config.BatchSize, n - start);
                var index = order.narrow(0, start, length);
                var x = set.Batch(set.TrainX, index);
                var yUsed = labels.index_select(0, index);
                var logits = model.forward(x);
                var loss = nn.functional.cross_entropy(logits, yUsed);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                using (no_grad())
                {
                    var predicted = logits.argmax(1);
                    var yTrue = set.TrainY.index_select(0, index);
                    var corrupted = set.Corrupted.index_select(0, index);
                    var rightUsed = predicted.eq(yUsed);
                    var rightTrue = predicted.eq(yTrue);
                    stats.add_(stack([
                        loss.detach().to_type(ScalarType.Float64) * length,
                        rightUsed.sum().to_type(ScalarType.Float64),
                        rightTrue.sum().to_type(ScalarType.Float64),
                        rightTrue.logical_and(corrupted.logical_not()).sum().to_type(ScalarType.Float64),
                        rightTrue.logical_and(corrupted).sum().to_type(ScalarType.Float64),
                        rightUsed.logical_and(corrupted).sum().to_type(ScalarType.Float64),
                    ]));
                }
                images += length;
                if (progress is not null && ((b + 1) % ProgressEveryBatches == 0 || b == batches - 1))
                    progress(new TrialProgress(phase, epoch, epochCount, b + 1, batches, (b * config.BatchSize + length) / clock.Elapsed.TotalSeconds));
            }

            var s = stats.cpu().data<double>().ToArray();
            var seconds = clock.Elapsed.TotalSeconds;
            if (!double.IsFinite(s[0]))
                throw new TrialFailedException($"{phase} epoch {epoch}: the training loss is {s[0]} (not finite); lower the learning rate");
            var corruptedCount = set.CorruptedCount;
            var cleanCount = n - corruptedCount;
            (double Accuracy, double Loss, int[] Predictions)? validation =
                set.ValidationY.shape[0] > 0 ? Evaluate(model, set.ValidationX, set.ValidationY, set) : null;
            epochs.Add(new EpochMetrics(phase, epoch, s[0] / n, s[1] / n, s[2] / n,
                cleanCount > 0 ? s[3] / cleanCount : null,
                corruptedCount > 0 ? s[4] / corruptedCount : null,
                corruptedCount > 0 ? s[5] / corruptedCount : null,
                validation?.Accuracy, validation?.Loss, seconds, n / seconds));
        }
        return images;
    }

    /// <summary>Accuracy, mean loss and predictions in evaluation mode without gradients.</summary>
    static (double Accuracy, double Loss, int[] Predictions) Evaluate(ArbitraryLabelNet model, Tensor x, Tensor y, DeviceData set)
    {
        var wasTraining = model.training;
        model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var n = (int)y.shape[0];
        var predictions = new List<Tensor>();
        var lossSum = zeros(1, dtype: ScalarType.Float64, device: set.Device);
        for (var start = 0; start < n; start += EvaluationBatch)
        {
            var length = Math.Min(EvaluationBatch, n - start);
            var logits = model.forward(set.Normalise(x.narrow(0, start, length)));
            lossSum.add_(nn.functional.cross_entropy(logits, y.narrow(0, start, length), reduction: nn.Reduction.Sum).to_type(ScalarType.Float64));
            predictions.Add(logits.argmax(1));
        }
        var predicted = cat(predictions, 0);
        var correct = predicted.eq(y).sum().item<long>();
        var result = predicted.cpu().data<long>().Select(p => (int)p).ToArray();
        model.train(wasTraining);
        return ((double)correct / n, lossSum.item<double>() / n, result);
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

    /// <summary>Per-channel mean and standard deviation of the training pixels, in 0..1 units.</summary>
    static (double[] Means, double[] Deviations) ChannelStatistics(ImageSet images)
    {
        var plane = images.Height * images.Width;
        var means = new double[images.Channels];
        var deviations = new double[images.Channels];
        for (var c = 0; c < images.Channels; c++)
        {
            double sum = 0, squares = 0;
            for (var i = 0; i < images.Count; i++)
            {
                var offset = (long)i * images.ImageBytes + (long)c * plane;
                for (var p = 0; p < plane; p++)
                {
                    double v = images.Pixels[offset + p];
                    sum += v;
                    squares += v * v;
                }
            }
            var count = (double)images.Count * plane;
            var mean = sum / count;
            means[c] = mean / 255;
            deviations[c] = Math.Max(Math.Sqrt(Math.Max(squares / count - mean * mean, 0)), 1e-3) / 255;
        }
        return (means, deviations);
    }

    /// <summary>
    /// The trial's images resident on the device as uint8 (a quarter of the memory of float32),
    /// converted and normalised a batch at a time; labels as int64.
    /// </summary>
    sealed class DeviceData
    {
        readonly Tensor _scale;
        readonly Tensor _shift;

        public DeviceData(ImageSet train, ImageSet validation, ImageSet test, int[] usedLabels,
            (double[] Means, double[] Deviations) normalisation, Device device)
        {
            Device = device;
            TrainX = Pixels(train, device);
            TrainY = Labels(train.Labels, device);
            UsedLabels = Labels(usedLabels, device);
            Corrupted = UsedLabels.ne(TrainY);
            CorruptedCount = usedLabels.Where((l, i) => l != train.Labels[i]).Count();
            ValidationX = Pixels(validation, device);
            ValidationY = Labels(validation.Labels, device);
            TestX = Pixels(test, device);
            TestY = Labels(test.Labels, device);
            var c = train.Channels;
            // x_normalised = (x / 255 - mean) / std = x * scale + shift
            _scale = tensor(normalisation.Deviations.Select(d => (float)(1 / (255 * d))).ToArray(), [1, c, 1, 1], device: device);
            _shift = tensor(normalisation.Means.Select((m, i) => (float)(-m / normalisation.Deviations[i])).ToArray(), [1, c, 1, 1], device: device);
        }

        public Device Device { get; }
        public Tensor TrainX { get; }
        public Tensor TrainY { get; }
        public Tensor UsedLabels { get; }
        public Tensor Corrupted { get; }
        public int CorruptedCount { get; }
        public Tensor ValidationX { get; }
        public Tensor ValidationY { get; }
        public Tensor TestX { get; }
        public Tensor TestY { get; }

        public Tensor Batch(Tensor images, Tensor index) => Normalise(images.index_select(0, index));

        public Tensor Normalise(Tensor bytes) => bytes.to_type(ScalarType.Float32).mul_(_scale).add_(_shift);

        static Tensor Pixels(ImageSet set, Device device) =>
            tensor(set.Pixels, [set.Count, set.Channels, set.Height, set.Width], device: device);

        static Tensor Labels(int[] labels, Device device) =>
            tensor(labels.Select(l => (long)l).ToArray(), device: device);
    }
}
