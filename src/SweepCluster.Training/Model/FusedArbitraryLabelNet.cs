using TorchSharp;
using SweepCluster.Training.Trials;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SweepCluster.Training.Model;

/// <summary>
/// K copies of <see cref="ArbitraryLabelNet"/> trained as one model, in the style of HFTA
/// (Wang et al., MLSys 2021): one forward pass runs every copy, so K small trials fill the
/// device as one larger one would. Slot k's images occupy input channels k*C..(k+1)*C; the
/// features are grouped convolutions (groups = K, so no slot sees another's channels) after a
/// BatchNorm over K*C channels, which is exactly per-slot BatchNorm because BatchNorm normalises
/// each channel on its own; the head is a batched pair of dense layers with per-slot weights
/// [K, out, in]. Nothing mixes slots, so each slot computes what its unfused network would, up to
/// the order of floating-point sums inside the kernels.
/// </summary>
/// <remarks>
/// Parameter and buffer names match <see cref="ArbitraryLabelNet"/>'s, so a slot's weights move
/// in and out by name (<see cref="LoadSlot"/>, <see cref="CopySlotTo"/>): initialisation,
/// checkpoints and layer statistics reuse the unfused model's code instead of repeating it.
/// </remarks>
public sealed class FusedArbitraryLabelNet : Module<Tensor, Tensor>
{
    readonly Sequential _features;
    readonly Sequential _head;
    readonly bool _withFeatures;
    readonly long _featureCount;

    public FusedArbitraryLabelNet(int slots, ModelConfig config, int channels, int height, int width, int classes, bool withFeatures)
        : base(nameof(FusedArbitraryLabelNet))
    {
        if (slots < 1) throw new ArgumentOutOfRangeException(nameof(slots), slots, "a fused model needs at least one slot");
        Slots = slots;
        var k = config.Kernel;
        _withFeatures = withFeatures;
        _featureCount = ArbitraryLabelNet.FeatureCount(config, channels, height, width, withFeatures);
        // Without features there is nothing before the head (the unfused model's Flatten is a reshape here).
        _features = withFeatures
            ? Sequential(
                ("bn", BatchNorm2d(slots * channels)),
                ("conv1", Conv2d(slots * channels, slots * config.Conv1, k, groups: slots)),
                ("relu1", ReLU()),
                ("conv2", Conv2d(slots * config.Conv1, slots * config.Conv2, k, groups: slots)),
                ("relu2", ReLU()))
            : Sequential();
        _head = Sequential(
            ("fc1", new BatchedLinear(slots, _featureCount, config.Dense)),
            ("relu", ReLU()),
            ("fc2", new BatchedLinear(slots, config.Dense, classes)));
        register_module("features", _features);
        register_module("head", _head);
    }

    public int Slots { get; }

    /// <summary>Every slot's features: what the experiment freezes.</summary>
    public Module Features => _features;

    /// <summary>Every slot's dense layers: what fine-tuning trains.</summary>
    public Module Head => _head;

    /// <summary>Input [N, K*C, H, W], slot k's images in channels k*C..(k+1)*C; output logits [K, N, classes].</summary>
    public override Tensor forward(Tensor input)
    {
        var features = _withFeatures ? _features.forward(input) : input;
        // [N, K*F'] -> [K, N, F], each slot's block flattened in the unfused model's (channel, row, column) order.
        var perSlot = features.reshape(features.shape[0], Slots, _featureCount).transpose(0, 1);
        return _head.forward(perSlot);
    }

    /// <summary>Copies <paramref name="single"/>'s weights and BatchNorm statistics into slot <paramref name="slot"/>.</summary>
    public void LoadSlot(int slot, ArbitraryLabelNet single)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (inSlot, alone) in SlotPairs(slot, single)) inSlot.copy_(alone);
    }

    /// <summary>
    /// Copies slot <paramref name="slot"/> into <paramref name="single"/>, which then holds exactly the
    /// network that slot trained (BatchNorm's batch counter is shared: every slot counts the same batches).
    /// </summary>
    public void CopySlotTo(int slot, ArbitraryLabelNet single)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (inSlot, alone) in SlotPairs(slot, single)) alone.copy_(inSlot);
    }

    /// <summary>
    /// Each tensor of the unfused model's state, paired with slot <paramref name="slot"/>'s part of
    /// the fused tensor of the same name: a row of the head's stacked [K, ...] weights, a block of
    /// K equal blocks of the features' channels, or the shared scalar batch counter.
    /// </summary>
    IEnumerable<(Tensor InSlot, Tensor Alone)> SlotPairs(int slot, ArbitraryLabelNet single)
    {
        if (slot < 0 || slot >= Slots) throw new ArgumentOutOfRangeException(nameof(slot), slot, $"this model has {Slots} slots");
        var fused = state_dict();
        foreach (var (name, alone) in single.state_dict())
        {
            if (!fused.TryGetValue(name, out var all))
                throw new ArgumentException($"the fused model has no '{name}': it was built for another arm or shape", nameof(single));
            var inSlot = all.dim() == alone.dim() + 1 ? all[slot]
                : alone.dim() == 0 ? all
                : all.narrow(0, slot * alone.shape[0], alone.shape[0]);
            if (!inSlot.shape.SequenceEqual(alone.shape))
                throw new ArgumentException($"'{name}' is [{string.Join(", ", alone.shape)}] in the single model but [{string.Join(", ", inSlot.shape)}] per slot", nameof(single));
            yield return (inSlot, alone);
        }
    }
}

/// <summary>
/// K independent dense layers applied at once: input [K, N, in], weight [K, out, in], bias
/// [K, out], output [K, N, out]. Slot k's weight and bias have the layout of an unfused
/// <see cref="Linear"/>'s, so they copy across as they are.
/// </summary>
public sealed class BatchedLinear : Module<Tensor, Tensor>
{
    // Named for TorchSharp, which moves registered parameters between devices by component name.
    [TorchSharp.Utils.ComponentName(Name = "weight")] Parameter _weight;
    [TorchSharp.Utils.ComponentName(Name = "bias")] Parameter _bias;

    public BatchedLinear(int slots, long inFeatures, long outFeatures) : base(nameof(BatchedLinear))
    {
        // Zeros, not garbage: the fused model's weights are always loaded from initialised single models.
        _weight = new Parameter(zeros(slots, outFeatures, inFeatures));
        _bias = new Parameter(zeros(slots, outFeatures));
        RegisterComponents();
    }

    // Not torch.baddbmm: TorchSharp 0.107 passes that one's arguments to libtorch in the wrong order.
    public override Tensor forward(Tensor input) => input.bmm(_weight.transpose(1, 2)) + _bias.unsqueeze(1);
}
