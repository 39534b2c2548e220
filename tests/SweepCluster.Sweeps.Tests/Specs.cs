namespace SweepCluster.Sweeps.Tests;

/// <summary>Helpers shared by the spec tests: the repository's examples and specs written inline.</summary>
public static class Specs
{
    public static readonly string RepositoryRoot = FindRoot();

    public static IEnumerable<string> ExampleFiles() =>
        Directory.EnumerateFiles(Path.Combine(RepositoryRoot, "examples"), "*.yaml").Order(StringComparer.Ordinal);

    public static SweepSpec Parse(string yaml, long maxTrials = SweepSpec.DefaultMaxTrials) =>
        SweepSpecParser.Parse(yaml, "test.yaml", new SpecOptions { MaxTrials = maxTrials });

    /// <summary>One of the examples, read as <c>sweep validate</c> reads it (or with <paramref name="options"/>).</summary>
    public static SweepSpec LoadExample(string file, SpecOptions? options = null) =>
        SweepSpecParser.Load(Path.Combine(RepositoryRoot, "examples", file), options ?? new SpecOptions());

    public static ExpandedSweep Expand(string yaml) => SweepExpansion.Expand(Parse(yaml));

    /// <summary>The errors of a spec that must fail.</summary>
    public static IReadOnlyList<SpecError> Errors(string yaml, long maxTrials = SweepSpec.DefaultMaxTrials) =>
        Assert.Throws<SpecException>(() => Parse(yaml, maxTrials)).Errors;

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SweepCluster.sln"))) return dir.FullName;
        throw new InvalidOperationException("SweepCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
