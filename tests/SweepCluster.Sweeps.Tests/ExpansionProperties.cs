using System.Globalization;
using FsCheck.Xunit;
using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps.Tests;

/// <summary>Properties of spec expansion over randomly drawn grids (FsCheck): count, uniqueness, stable ids.</summary>
public class ExpansionProperties
{
    static readonly string[] ArmNames = ["true", "noisy", "random-frozen", "head-only"];

    /// <summary>A grid drawn from the generated numbers: which arms, and how many distinct values per axis and seeds.</summary>
    static (string Yaml, int Arms, bool Noisy, int Noises, int Rates, int Batches, int Seeds) Grid(byte armMask, byte noises, byte rates, byte batches, byte seeds)
    {
        var arms = ArmNames.Where((_, i) => ((armMask % 15 + 1) & (1 << i)) != 0).ToArray();
        var noisy = arms.Contains("noisy");
        var (n, r, b, s) = (noises % 4 + 1, rates % 3 + 1, batches % 3 + 1, seeds % 5 + 1);
        string List(IEnumerable<double> values) => "[" + string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
        var yaml = $"name: drawn\narms: [{string.Join(", ", arms)}]\ngrid:\n" +
                   (noisy ? $"  noise: {List(Enumerable.Range(0, n).Select(i => i / 4.0))}\n" : "") +
                   $"  learning_rate: {List(Enumerable.Range(1, r).Select(i => i * 1e-4))}\n" +
                   $"  batch_size: [{string.Join(", ", Enumerable.Range(0, b).Select(i => 16 << i))}]\n" +
                   $"seeds: {s}\n";
        return (yaml, arms.Length, noisy, n, r, b, s);
    }

    [Property(MaxTest = 150)]
    public bool The_trial_count_is_the_product_of_the_axes_each_arm_uses(byte armMask, byte noises, byte rates, byte batches, byte seeds)
    {
        var grid = Grid(armMask, noises, rates, batches, seeds);
        var sweep = Specs.Expand(grid.Yaml);
        var perArm = grid.Rates * grid.Batches * grid.Seeds;
        var expected = (grid.Arms - (grid.Noisy ? 1 : 0)) * perArm + (grid.Noisy ? grid.Noises * perArm : 0);
        return sweep.Trials.Count == expected
               && sweep.DuplicatesRemoved == 0
               && sweep.Cells.Sum(c => c.Trials.Count) == expected
               && sweep.Cells.All(c => c.Trials.Count == grid.Seeds);
    }

    [Property(MaxTest = 150)]
    public bool Trial_ids_are_unique_hashes_of_their_configs_and_stable_across_expansions(byte armMask, byte noises, byte rates, byte batches, byte seeds)
    {
        var yaml = Grid(armMask, noises, rates, batches, seeds).Yaml;
        var first = Specs.Expand(yaml).Trials;
        var second = Specs.Expand(yaml).Trials;
        return first.Select(t => t.Id).Distinct().Count() == first.Count
               && first.All(t => t.Id == t.Config.Hash())
               && first.All(t => System.Text.Json.JsonSerializer.Deserialize<TrialConfig>(System.Text.Json.JsonSerializer.Serialize(t.Config, TrialJson.Compact), TrialJson.Compact)!.Hash() == t.Id)
               && first.Select(t => t.Id).SequenceEqual(second.Select(t => t.Id));
    }

    [Property(MaxTest = 100)]
    public bool Listing_a_value_twice_changes_nothing_but_the_duplicate_count(byte armMask, byte rates, byte seeds)
    {
        var grid = Grid(armMask, 0, rates, 0, seeds);
        var doubled = grid.Yaml.Replace("learning_rate: [", "learning_rate: [1E-04, ");
        var once = Specs.Expand(grid.Yaml);
        var twice = Specs.Expand(doubled);
        return once.Trials.Select(t => t.Id).SequenceEqual(twice.Trials.Select(t => t.Id))
               && twice.DuplicatesRemoved == once.Trials.Count / grid.Rates;
    }
}
