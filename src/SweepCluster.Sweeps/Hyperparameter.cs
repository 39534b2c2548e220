using SweepCluster.Training.Labels;
using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps;

/// <summary>
/// One field of <see cref="TrialConfig"/> that a sweep's grid or sample can vary. The set of
/// them is closed: <see cref="Hyperparameters.All"/>.
/// </summary>
public abstract class Hyperparameter
{
    readonly Func<Arm, bool> _appliesTo;

    private protected Hyperparameter(string name, string label, string configField, bool describesArm, Func<Arm, bool> appliesTo)
    {
        Name = name;
        Label = label;
        ConfigField = configField;
        DescribesArm = describesArm;
        _appliesTo = appliesTo;
    }

    /// <summary>The field's name in specs and in the trial configuration's JSON.</summary>
    public string Name { get; }

    /// <summary>How cell labels show it (<c>lr</c> gives <c>lr=0.0001</c>); empty: the value alone.</summary>
    public string Label { get; }

    /// <summary>
    /// Part of what an arm is (the noise of the noisy arm): shown in every label of the arms it
    /// applies to, where other fields are shown only when they vary across the sweep.
    /// </summary>
    public bool DescribesArm { get; }

    /// <summary>The name <see cref="TrialConfig.Normalise"/> uses for this field in its errors.</summary>
    internal string ConfigField { get; }

    /// <summary>
    /// Whether the arm uses this field. Fields an arm does not use are not crossed for it: they
    /// would only make copies of the same trial (noise outside the noisy arm, pre-training epochs
    /// for arms that do not pre-train, the head setting for the arm without features).
    /// </summary>
    public bool AppliesTo(Arm arm) => _appliesTo(arm);

    /// <summary>Whether every arm uses this field, so trials of different arms can share its value (and be paired on it).</summary>
    public bool AppliesToEveryArm => Enum.GetValues<Arm>().All(_appliesTo);

    /// <summary>This field's value in <paramref name="config"/>, as labels and messages show it.</summary>
    public abstract string Describe(TrialConfig config);

    // Typed reading needs T; the spec reader calls back with it (double dispatch).
    internal abstract GridAxis? ReadAxis(SpecReader reader, YamlNode node, string path);
    internal abstract SampledParameter? ReadSampled(SpecReader reader, YamlNode node, string path);

    public override string ToString() => Name;
}

/// <summary>A hyperparameter whose values are of type <typeparamref name="T"/>.</summary>
public sealed class Hyperparameter<T> : Hyperparameter where T : notnull
{
    readonly Func<TrialConfig, T> _read;
    readonly Func<TrialConfig, T, TrialConfig> _apply;

    internal Hyperparameter(
        string name, string label, string configField, bool describesArm, Func<Arm, bool> appliesTo,
        ValueSyntax<T> syntax, Func<TrialConfig, T> read, Func<TrialConfig, T, TrialConfig> apply)
        : base(name, label, configField, describesArm, appliesTo)
    {
        Syntax = syntax;
        _read = read;
        _apply = apply;
    }

    internal ValueSyntax<T> Syntax { get; }

    public T Read(TrialConfig config) => _read(config);

    public TrialConfig Apply(TrialConfig config, T value) => _apply(config, value);

    public string Format(T value) => Syntax.Format(value);

    public override string Describe(TrialConfig config) => Format(Read(config));

    internal override GridAxis? ReadAxis(SpecReader reader, YamlNode node, string path) => reader.Axis(this, node, path);
    internal override SampledParameter? ReadSampled(SpecReader reader, YamlNode node, string path) => reader.Sampled(this, node, path);
}

/// <summary>Every hyperparameter a sweep can vary, in the order expansion crosses them and labels show them.</summary>
public static class Hyperparameters
{
    static bool EveryArm(Arm arm) => true;
    static bool NoisyArm(Arm arm) => arm == Arm.Noisy;
    static bool PretrainingArms(Arm arm) => new TrialConfig { Arm = arm }.HasPretraining;
    static bool ArmsWithFeatures(Arm arm) => new TrialConfig { Arm = arm }.HasFeatures;

    public static readonly Hyperparameter<double> Noise = new(
        "noise", "p", "noise", describesArm: true, NoisyArm, ValueSyntax.Real,
        c => c.Noise, (c, v) => c with { Noise = v });

    public static readonly Hyperparameter<NoiseModel> NoiseModel = new(
        "noise_model", "", "noise_model", describesArm: true, NoisyArm, ValueSyntax.Name<NoiseModel>(),
        c => c.NoiseModel, (c, v) => c with { NoiseModel = v });

    public static readonly Hyperparameter<double> LearningRate = new(
        "learning_rate", "lr", "learning_rate", describesArm: false, EveryArm, ValueSyntax.Real,
        c => c.LearningRate, (c, v) => c with { LearningRate = v });

    public static readonly Hyperparameter<int> BatchSize = new(
        "batch_size", "bs", "batch_size", describesArm: false, EveryArm, ValueSyntax.Integer,
        c => c.BatchSize, (c, v) => c with { BatchSize = v });

    public static readonly Hyperparameter<int> PretrainEpochs = new(
        "pretrain_epochs", "pretrain", "pretrain_epochs", describesArm: false, PretrainingArms, ValueSyntax.Integer,
        c => c.PretrainEpochs, (c, v) => c with { PretrainEpochs = v });

    public static readonly Hyperparameter<int> FinetuneEpochs = new(
        "finetune_epochs", "finetune", "finetune_epochs", describesArm: false, EveryArm, ValueSyntax.Integer,
        c => c.FinetuneEpochs, (c, v) => c with { FinetuneEpochs = v });

    // TrialConfig.Normalise reports the three widths together under "model".
    public static readonly Hyperparameter<int> Conv1 = new(
        "conv1", "conv1", "model", describesArm: false, ArmsWithFeatures, ValueSyntax.Integer,
        c => c.Model.Conv1, (c, v) => c with { Model = c.Model with { Conv1 = v } });

    public static readonly Hyperparameter<int> Conv2 = new(
        "conv2", "conv2", "model", describesArm: false, ArmsWithFeatures, ValueSyntax.Integer,
        c => c.Model.Conv2, (c, v) => c with { Model = c.Model with { Conv2 = v } });

    public static readonly Hyperparameter<int> Dense = new(
        "dense", "dense", "model", describesArm: false, EveryArm, ValueSyntax.Integer,
        c => c.Model.Dense, (c, v) => c with { Model = c.Model with { Dense = v } });

    public static readonly Hyperparameter<HeadInit> Head = new(
        "head", "head", "head", describesArm: false, ArmsWithFeatures, ValueSyntax.Name<HeadInit>(),
        c => c.Head, (c, v) => c with { Head = v });

    public static readonly Hyperparameter<OptimizerKind> Optimizer = new(
        "optimizer", "opt", "optimizer", describesArm: false, EveryArm, ValueSyntax.Name<OptimizerKind>(),
        c => c.Optimizer, (c, v) => c with { Optimizer = v });

    public static readonly IReadOnlyList<Hyperparameter> All =
        [Noise, NoiseModel, LearningRate, BatchSize, PretrainEpochs, FinetuneEpochs, Conv1, Conv2, Dense, Head, Optimizer];

    public static Hyperparameter? Find(string name) => All.FirstOrDefault(p => p.Name == name);
}
