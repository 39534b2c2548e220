namespace SweepCluster.Analysis;

/// <summary>
/// How a percentile bootstrap resamples: how many resamples, and the seed of the generator, so that
/// the same data and options always give the same interval (a report can be regenerated exactly).
/// </summary>
public sealed record BootstrapOptions
{
    public static readonly BootstrapOptions Default = new();

    public int Resamples { get; init; } = 10_000;
    public int Seed { get; init; }
}
