namespace SweepCluster.Analysis;

/// <summary>Percentile bootstrap intervals of means, from a generator seeded by <see cref="BootstrapOptions.Seed"/>.</summary>
static class Bootstrap
{
    /// <summary>The interval of the mean of <paramref name="values"/>; null below two values, where resampling shows nothing.</summary>
    public static Interval? MeanInterval(IReadOnlyList<double> values, BootstrapOptions options)
    {
        if (values.Count < 2)
            return null;
        Validate(options);
        // System.Random with an explicit seed uses the legacy algorithm, whose sequence .NET keeps stable.
        var random = new Random(options.Seed);
        var means = new double[options.Resamples];
        for (var r = 0; r < means.Length; r++)
            means[r] = ResampledMean(values, random);
        return Percentiles(means);
    }

    /// <summary>The interval of mean(a) - mean(b), the two groups resampled independently (unpaired data).</summary>
    public static Interval? MeanDifferenceInterval(IReadOnlyList<double> a, IReadOnlyList<double> b, BootstrapOptions options)
    {
        if (a.Count < 2 || b.Count < 2)
            return null;
        Validate(options);
        var random = new Random(options.Seed);
        var differences = new double[options.Resamples];
        for (var r = 0; r < differences.Length; r++)
            differences[r] = ResampledMean(a, random) - ResampledMean(b, random);
        return Percentiles(differences);
    }

    static void Validate(BootstrapOptions options)
    {
        if (options.Resamples < 2)
            throw new ArgumentOutOfRangeException(nameof(options), options.Resamples, "a bootstrap needs at least 2 resamples");
    }

    static double ResampledMean(IReadOnlyList<double> values, Random random)
    {
        var sum = 0.0;
        for (var i = 0; i < values.Count; i++)
            sum += values[random.Next(values.Count)];
        return sum / values.Count;
    }

    static Interval Percentiles(double[] statistics)
    {
        Array.Sort(statistics);
        var tail = (1 - Interval.Level) / 2;
        return new Interval(Descriptive.Quantile(statistics, tail), Descriptive.Quantile(statistics, 1 - tail));
    }
}
