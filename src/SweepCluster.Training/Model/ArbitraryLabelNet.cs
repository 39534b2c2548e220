using TorchSharp;
using TorchSharp.Modules;
using SweepCluster.Training.Trials;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SweepCluster.Training.Model;

/// <summary>
/// The CNN of the original experiment: features = BatchNorm(input), Conv(conv1, k) relu,
/// Conv(conv2, k) relu, Flatten (valid convolutions, no pooling); head = Dense(dense) relu,
/// Dense(classes). With <c>withFeatures: false</c> the features are just Flatten, which is the
/// head-only arm: the dense layers on raw pixels.
/// </summary>
public sealed class ArbitraryLabelNet : Module<Tensor, Tensor>
{
    readonly Sequential _features;
    readonly Sequential _head;

    public ArbitraryLabelNet(ModelConfig config, int channels, int height, int width, int classes, bool withFeatures)
        : base(nameof(ArbitraryLabelNet))
    {
        var k = config.Kernel;
        var featureCount = FeatureCount(config, channels, height, width, withFeatures);
        _features = withFeatures
            ? Sequential(
                ("bn", BatchNorm2d(channels)),
                ("conv1", Conv2d(channels, config.Conv1, k)),
                ("relu1", ReLU()),
                ("conv2", Conv2d(config.Conv1, config.Conv2, k)),
                ("relu2", ReLU()),
                ("flatten", Flatten()))
            : Sequential(("flatten", Flatten()));
        _head = Sequential(
            ("fc1", Linear(featureCount, config.Dense)),
            ("relu", ReLU()),
            ("fc2", Linear(config.Dense, classes)));
        register_module("features", _features);
        register_module("head", _head);
    }

    /// <summary>
    /// How many numbers the features give the head per image: the second convolution's output
    /// (valid convolutions shrink each side by kernel - 1), or the raw pixels without features.
    /// </summary>
    /// <exception cref="ArgumentException">The images are too small for the two convolutions.</exception>
    public static long FeatureCount(ModelConfig config, int channels, int height, int width, bool withFeatures)
    {
        if (!withFeatures) return (long)channels * height * width;
        var k = config.Kernel;
        var outHeight = height - 2 * (k - 1);
        var outWidth = width - 2 * (k - 1);
        if (outHeight < 1 || outWidth < 1)
            throw new ArgumentException($"images of {height}x{width} are too small for two valid {k}x{k} convolutions");
        return (long)config.Conv2 * outHeight * outWidth;
    }

    /// <summary>Everything before Flatten: what the experiment freezes.</summary>
    public Module Features => _features;

    /// <summary>The dense layers: what fine-tuning trains.</summary>
    public Module Head => _head;

    public override Tensor forward(Tensor input) => _head.forward(_features.forward(input));

    /// <summary>
    /// Initialises every convolution and dense layer of <paramref name="module"/> from a
    /// SplitMix64 stream: weights and biases uniform in +-1/sqrt(fan_in), the distribution of
    /// PyTorch's defaults. Drawing on the host with our own generator makes the initial weights a
    /// function of the seed alone: the same on CPU and GPU, and unaffected by other trials that
    /// share torch's global generator in this process.
    /// </summary>
    public static void Initialise(Module module, ulong seed)
    {
        var rng = new SplitMix64(seed);
        using var _ = no_grad();
        foreach (var (_, child) in module.named_modules())
        {
            (Tensor weight, Tensor? bias)? layer = child switch
            {
                Conv2d c => (c.weight!, c.bias),
                Linear l => (l.weight!, l.bias),
                _ => null,
            };
            if (layer is not { } found) continue;
            var fanIn = found.weight.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
            var bound = 1.0 / Math.Sqrt(fanIn);
            Fill(found.weight, rng, bound);
            if (found.bias is not null) Fill(found.bias, rng, bound);
        }
    }

    static void Fill(Tensor target, SplitMix64 rng, double bound)
    {
        var values = new float[target.numel()];
        for (var i = 0; i < values.Length; i++) values[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
        using var source = tensor(values, target.shape);
        target.copy_(source);
    }
}
