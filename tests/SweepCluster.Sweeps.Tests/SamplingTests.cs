using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps.Tests;

public class SamplingTests
{
    static string Spec(int seed, string order = "lr-first") => $$"""
        name: sampled
        arms: [true]
        grid: {head: [continue, reinit]}
        sample:
          count: 8
          seed: {{seed}}
        {{(order == "lr-first"
            ? "  learning_rate: {log_uniform: [1e-5, 1e-3]}\n  batch_size: {choice: [32, 64, 128]}\n  dense: {int_uniform: [100, 400]}"
            : "  dense: {int_uniform: [100, 400]}\n  batch_size: {choice: [32, 64, 128]}\n  learning_rate: {log_uniform: [1e-5, 1e-3]}")}}
        seeds: 2
        """;

    [Fact]
    public void Each_sampled_point_is_crossed_with_the_grid_and_the_seeds()
    {
        var sweep = Specs.Expand(Spec(1));

        Assert.Equal(2 * 8 * 2, sweep.Trials.Count);
        Assert.Equal(16, sweep.Cells.Count);
        // Both head settings see the same 8 points.
        var points = sweep.Trials.GroupBy(t => t.Config.Head)
            .Select(g => g.Select(t => (t.Config.LearningRate, t.Config.BatchSize, t.Config.Model.Dense)).Distinct().ToList())
            .ToList();
        Assert.Equal(points[0], points[1]);
        Assert.Equal(8, points[0].Count);
    }

    [Fact]
    public void Draws_stay_within_their_ranges()
    {
        var configs = Specs.Expand(Spec(1)).Trials.Select(t => t.Config).ToList();

        Assert.All(configs, c => Assert.InRange(c.LearningRate, 1e-5, 1e-3));
        Assert.All(configs, c => Assert.Contains(c.BatchSize, new[] { 32, 64, 128 }));
        Assert.All(configs, c => Assert.InRange(c.Model.Dense, 100, 400));
    }

    [Fact]
    public void The_sample_seed_alone_decides_the_draws()
    {
        static List<string> Ids(string yaml) => Specs.Expand(yaml).Trials.Select(t => t.Id).ToList();

        Assert.Equal(Ids(Spec(1)), Ids(Spec(1)));
        Assert.Equal(Ids(Spec(1)), Ids(Spec(1, order: "dense-first")));
        Assert.NotEqual(Ids(Spec(1)), Ids(Spec(2)));
    }

    [Fact]
    public void Log_uniform_covers_every_decade_and_rounds_to_four_digits()
    {
        var parameter = new SampledParameter<double>(Hyperparameters.LearningRate, new LogUniformDistribution(1e-6, 1e-2));
        var draws = parameter.Draw(4000, sampleSeed: 5);

        for (var decade = -6; decade < -2; decade++)
        {
            var share = draws.Count(d => d >= Math.Pow(10, decade) && d < Math.Pow(10, decade + 1)) / 4000.0;
            Assert.InRange(share, 0.2, 0.3);
        }
        Assert.All(draws, d => Assert.Equal(d, double.Parse(d.ToString("G4"))));
        Assert.Equal(draws, parameter.Draw(4000, sampleSeed: 5));
    }

    [Fact]
    public void Int_uniform_reaches_both_ends()
    {
        var draws = new IntUniformDistribution(3, 5);
        var random = new SplitMix64(1);
        var seen = Enumerable.Range(0, 200).Select(_ => draws.Draw(random)).ToHashSet();
        Assert.Equal([3, 4, 5], seen.Order());
    }

    [Fact]
    public void Repeated_draws_of_a_small_choice_are_duplicates_and_removed()
    {
        var sweep = Specs.Expand("""
            name: collide
            arms: [true]
            sample: {count: 10, seed: 3, batch_size: {choice: [32, 64]}}
            seeds: 1
            """);

        Assert.Equal(2, sweep.Trials.Count);
        Assert.Equal(8, sweep.DuplicatesRemoved);
    }
}
