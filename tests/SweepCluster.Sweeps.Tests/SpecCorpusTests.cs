using SweepCluster.Corpus;
using SweepCluster.Training.Data;

namespace SweepCluster.Sweeps.Tests;

/// <summary>Every bad spec of the committed corpus (tests/corpus/specs) is refused with its expected error.</summary>
public class SpecCorpusTests
{
    public static TheoryData<SpecCase> Cases() => new(BadInputCorpus.Specs());

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_spec_gets_its_expected_error_naming_the_field_and_line(SpecCase badSpec)
    {
        var options = SpecOptions.Confined(new DataRoots([BadInputCorpus.DataFolder]));
        var error = Assert.Throws<SpecException>(() => SweepSpecParser.Load(badSpec.File, options));
        Assert.StartsWith($"{badSpec.File}: invalid sweep spec", error.Message);
        Assert.Contains(error.Errors, e => $"{e.Field} at line {e.Position.Line}" == badSpec.Where && e.Message.Contains(badSpec.Phrase));
    }

    [Fact]
    public void Every_spec_in_the_corpus_folder_has_an_expected_error()
    {
        var listed = BadInputCorpus.Specs().Select(c => Path.GetFileName(c.File)).Order(StringComparer.Ordinal);
        var present = Directory.EnumerateFiles(BadInputCorpus.SpecFolder, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(present, listed);
    }
}
