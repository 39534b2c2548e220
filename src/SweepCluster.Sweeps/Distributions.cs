using System.Globalization;
using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps;

/// <summary>Where a sampled hyperparameter's values come from. Each constructor rejects bounds it cannot draw from.</summary>
public abstract record Distribution<T>
{
    public abstract T Draw(SplitMix64 random);
}

/// <summary>
/// Uniform in [Min, Max]. Draws are rounded to 4 significant digits (then kept inside the bounds)
/// so that configurations and cell labels stay readable; finer steps change nothing measurable.
/// </summary>
public sealed record UniformDistribution : Distribution<double>
{
    public UniformDistribution(double min, double max)
    {
        if (!(double.IsFinite(min) && double.IsFinite(max) && min <= max))
            throw new ArgumentException($"uniform needs finite bounds with min <= max, got [{min}, {max}]");
        Min = min;
        Max = max;
    }

    public double Min { get; }
    public double Max { get; }

    public override double Draw(SplitMix64 random) => Significant.Round(Min + (Max - Min) * random.NextDouble(), Min, Max);
}

/// <summary>Log-uniform in [Min, Max] (Min > 0): every decade equally likely, as learning rates want. Rounded like <see cref="UniformDistribution"/>.</summary>
public sealed record LogUniformDistribution : Distribution<double>
{
    public LogUniformDistribution(double min, double max)
    {
        if (!(double.IsFinite(min) && double.IsFinite(max) && min > 0 && min <= max))
            throw new ArgumentException($"log_uniform needs bounds with 0 < min <= max, got [{min}, {max}]");
        Min = min;
        Max = max;
    }

    public double Min { get; }
    public double Max { get; }

    public override double Draw(SplitMix64 random) =>
        Significant.Round(Math.Exp(Math.Log(Min) + (Math.Log(Max) - Math.Log(Min)) * random.NextDouble()), Min, Max);
}

/// <summary>A whole number in [Min, Max], both included, each equally likely.</summary>
public sealed record IntUniformDistribution : Distribution<int>
{
    public IntUniformDistribution(int min, int max)
    {
        if (min > max) throw new ArgumentException($"int_uniform needs min <= max, got [{min}, {max}]");
        if ((long)max - min >= int.MaxValue) throw new ArgumentException($"int_uniform range [{min}, {max}] is too wide");
        Min = min;
        Max = max;
    }

    public int Min { get; }
    public int Max { get; }

    public override int Draw(SplitMix64 random) => Min + random.NextInt(Max - Min + 1);
}

/// <summary>One of <see cref="Values"/>, each equally likely.</summary>
public sealed record ChoiceDistribution<T> : Distribution<T>
{
    public ChoiceDistribution(IReadOnlyList<T> values)
    {
        if (values.Count == 0) throw new ArgumentException("choice needs at least one value");
        Values = values;
    }

    public IReadOnlyList<T> Values { get; }

    public override T Draw(SplitMix64 random) => Values[random.NextInt(Values.Count)];
}

static class Significant
{
    public static double Round(double value, double min, double max) =>
        Math.Clamp(double.Parse(value.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), min, max);
}
