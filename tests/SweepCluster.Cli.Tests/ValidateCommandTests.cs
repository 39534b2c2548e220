namespace SweepCluster.Cli.Tests;

public class ValidateCommandTests
{
    [Fact]
    public async Task Validate_lists_the_cells_and_estimates_the_work()
    {
        var run = await Sweep.Run("validate", Path.Combine(Sweep.RepositoryRoot, "examples", "quickstart.yaml"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("12 trials in 4 cells (0 duplicates removed)", run.Stdout);
        Assert.Contains("noisy p=1 shuffle", run.Stdout);
        Assert.Contains("random-frozen", run.Stdout);
        Assert.Contains("64,800 training images", run.Stdout);
        Assert.Contains("600 training images/s", run.Stdout);
    }

    [Fact]
    public async Task A_bad_spec_exits_with_2_and_every_error()
    {
        var spec = Path.Combine(Path.GetTempPath(), $"bad-spec-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(spec, "name: bad\narms: [true, arbitrary]\ngrid:\n  learnin_rate: 1e-4\nseeds: 0\n");
        try
        {
            var run = await Sweep.Run("validate", spec);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains("invalid sweep spec (3 errors)", run.Stderr);
            Assert.Contains("arms[1] at line 2, column 14: expected one of true, noisy, random-frozen, head-only, got 'arbitrary'", run.Stderr);
            Assert.Contains("grid.learnin_rate at line 4, column 3: unknown field 'learnin_rate'", run.Stderr);
            Assert.Contains("seeds at line 5, column 8", run.Stderr);
        }
        finally
        {
            File.Delete(spec);
        }
    }
}
