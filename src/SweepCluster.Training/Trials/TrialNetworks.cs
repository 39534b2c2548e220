using SweepCluster.Training.Model;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SweepCluster.Training.Trials;

/// <summary>
/// The networks of the trials <see cref="TrialRunner"/> trains together: one
/// <see cref="ArbitraryLabelNet"/> for a lone trial, one <see cref="FusedArbitraryLabelNet"/> for
/// K trials of a cell. The runner's loop sees only this, so a lone trial and a fused group run
/// the same code: inputs [B, K*C, H, W] (slot k's images in channels k*C..(k+1)*C), logits
/// [K, B, classes].
/// </summary>
abstract class TrialNetworks : IDisposable
{
    public abstract int Slots { get; }

    /// <summary>The whole model: for training and evaluation mode.</summary>
    public abstract Module Model { get; }

    public abstract Module Features { get; }

    public abstract Module Head { get; }

    /// <summary>Logits [K, B, classes] of inputs [B, K*C, H, W].</summary>
    public abstract Tensor Logits(Tensor inputs);

    /// <summary>
    /// An unfused network holding exactly slot <paramref name="slot"/>'s weights and statistics,
    /// for checkpoints and layer statistics. Valid until the next call: a fused group reuses one.
    /// </summary>
    public abstract ArbitraryLabelNet Slot(int slot);

    /// <summary>Re-draws slot <paramref name="slot"/>'s head from its head stream, as a lone trial does.</summary>
    public abstract void ReinitialiseHead(int slot, ulong seed);

    public abstract void Dispose();

    /// <summary>
    /// The networks of <paramref name="initSeeds"/>.Count trials, slot k's weights drawn from
    /// <paramref name="initSeeds"/>[k] exactly as a lone trial draws them, then moved to the device.
    /// </summary>
    public static TrialNetworks Create(ModelConfig config, int channels, int height, int width, int classes, bool withFeatures,
        IReadOnlyList<ulong> initSeeds, Device device)
    {
        var single = new ArbitraryLabelNet(config, channels, height, width, classes, withFeatures);
        if (initSeeds.Count == 1)
        {
            ArbitraryLabelNet.Initialise(single, initSeeds[0]);
            single.to(device);
            return new Lone(single);
        }
        var fused = new FusedArbitraryLabelNet(initSeeds.Count, config, channels, height, width, classes, withFeatures);
        for (var k = 0; k < initSeeds.Count; k++)
        {
            ArbitraryLabelNet.Initialise(single, initSeeds[k]);
            fused.LoadSlot(k, single);
        }
        fused.to(device);
        single.to(device);
        return new Fused(fused, single);
    }

    sealed class Lone(ArbitraryLabelNet model) : TrialNetworks
    {
        public override int Slots => 1;
        public override Module Model => model;
        public override Module Features => model.Features;
        public override Module Head => model.Head;
        public override Tensor Logits(Tensor inputs) => model.forward(inputs).unsqueeze(0);
        public override ArbitraryLabelNet Slot(int slot) => model;
        public override void ReinitialiseHead(int slot, ulong seed) => ArbitraryLabelNet.Initialise(model.Head, seed);
        public override void Dispose() => model.Dispose();
    }

    /// <param name="mirror">One unfused network that slots are copied into on demand.</param>
    sealed class Fused(FusedArbitraryLabelNet model, ArbitraryLabelNet mirror) : TrialNetworks
    {
        public override int Slots => model.Slots;
        public override Module Model => model;
        public override Module Features => model.Features;
        public override Module Head => model.Head;
        public override Tensor Logits(Tensor inputs) => model.forward(inputs);

        public override ArbitraryLabelNet Slot(int slot)
        {
            model.CopySlotTo(slot, mirror);
            return mirror;
        }

        public override void ReinitialiseHead(int slot, ulong seed)
        {
            model.CopySlotTo(slot, mirror);
            ArbitraryLabelNet.Initialise(mirror.Head, seed);
            model.LoadSlot(slot, mirror);
        }

        public override void Dispose()
        {
            model.Dispose();
            mirror.Dispose();
        }
    }
}
