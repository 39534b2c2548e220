using System.Text;
using SweepCluster.Corpus;
using SweepCluster.Training.Data;
using Xunit.Abstractions;

namespace SweepCluster.Sweeps.Tests;

/// <summary>Mutants of every example and corpus spec: each parses and expands, or is refused with a <see cref="SpecException"/>.</summary>
public class SpecFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Damaged_specs_are_refused_with_spec_errors_and_nothing_else()
    {
        var seeds = Specs.ExampleFiles().Concat(Directory.EnumerateFiles(BadInputCorpus.SpecFolder, "*.yaml"))
            .Select(File.ReadAllBytes).ToList();
        var options = SpecOptions.Confined(new DataRoots([BadInputCorpus.DataFolder]));
        var count = Mutations.Run<SpecException>(seeds, bytes =>
            SweepExpansion.Expand(SweepSpecParser.Parse(Encoding.UTF8.GetString(bytes), "mutant.yaml", options)));
        output.WriteLine(Mutations.Describe(count));
        Assert.True(count >= 100);
    }
}
