using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps.Tests;

public class SpecErrorTests
{
    /// <summary>Asserts the spec fails with an error on <paramref name="field"/> at <paramref name="line"/> whose message holds <paramref name="message"/>.</summary>
    static SpecError Fails(string yaml, string field, int line, string message, long maxTrials = SweepSpec.DefaultMaxTrials)
    {
        var errors = Specs.Errors(yaml, maxTrials);
        var error = errors.FirstOrDefault(e => e.Field == field);
        Assert.True(error is not null, $"no error on {field}; got:\n{string.Join("\n", errors)}");
        Assert.Equal(line, error.Position.Line);
        Assert.Contains(message, error.Message);
        return error;
    }

    [Fact]
    public void Malformed_yaml_is_reported_with_its_line_and_column()
    {
        // The unclosed bracket itself.
        var error = Fails("name: broken\narms: [true\nseeds: 3\n", "(yaml)", 2, "malformed YAML");
        Assert.Equal(7, error.Position.Column);

        Fails("name: x\nseeds: 'unterminated\n", "(yaml)", 2, "malformed YAML");
        Fails("name: x\n  arms: [true]\n", "(yaml)", 2, "malformed YAML");
    }

    [Fact]
    public void An_unknown_field_names_the_accepted_ones_and_the_closest()
    {
        var error = Fails("""
            name: typo
            arms: [true]
            seeds: 1
            grid:
              learnin_rate: [1e-4]
            """, "grid.learnin_rate", 5, "unknown field 'learnin_rate' (did you mean 'learning_rate'?); expected one of noise, noise_model, learning_rate");
        Assert.Equal(3, error.Position.Column);
        Assert.Equal("grid.learnin_rate at line 5, column 3: " + error.Message, error.ToString());

        Fails("name: x\narms: [true]\nseeds: 1\nseed: 4\n", "seed", 4, "unknown field 'seed' (did you mean 'seeds'?)");
    }

    [Fact]
    public void A_value_of_the_wrong_type_says_what_was_expected()
    {
        Fails("name: x\narms: [true]\nseeds: 1\ngrid:\n  batch_size: [64, big]\n", "grid.batch_size[1]", 5, "expected an integer, got 'big'");
        Fails("name: x\narms: [true]\nseeds: 1\ngrid:\n  learning_rate: '1e-4'\n", "grid.learning_rate", 5, "expected a number, got the quoted string '1e-4'");
        Fails("name: x\narms: [true]\nseeds: 1\ngrid:\n  head: {a: 1}\n", "grid.head", 5, "expected a value or a list of values, got a mapping");
        Fails("name: x\narms: [true]\nseeds: 1\ndataset: fashion-mnist\n", "dataset", 4, "expected a mapping with fields name, path");
        Fails("name: x\narms: [true]\nseeds: 1\ngrid:\n  optimizer: [adam, rmsprop]\n", "grid.optimizer[1]", 5, "expected one of adam, sgd, got 'rmsprop'");
    }

    [Fact]
    public void Out_of_range_values_get_the_trial_configurations_own_message_at_their_line()
    {
        const string Spec = """
            name: ranges
            arms: [true, noisy]
            grid:
              noise: [0.5, 1.5]
              learning_rate: [1e-4, -1]
            seeds: 1
            """;
        var noise = Fails(Spec, "grid.noise[1]", 4, "noise: 1.5 is outside [0, 1]");
        Assert.Equal(16, noise.Position.Column);
        Fails(Spec, "grid.learning_rate[1]", 5, "learning_rate: -1 must be in (0, 10]");
    }

    [Fact]
    public void Base_settings_are_checked_by_the_trial_configuration_too()
    {
        const string Spec = """
            name: base
            dataset:
              name: mnist
              validation_fraction: 0.95
            model: {kernel: 40}
            epochs: {pretrain: 0}
            arms: [true]
            seeds: 1
            """;
        Fails(Spec, "dataset.name", 3, "dataset.name: 'mnist' is not one of fashion-mnist-subset, fashion-mnist, idx, image-folder");
        Fails(Spec, "dataset.validation_fraction", 4, "is outside [0, 0.9)");
        Fails(Spec, "model.kernel", 5, "model.kernel: 40 is outside 1..15");
        Fails(Spec, "epochs.pretrain", 6, "arm true pre-trains, so it needs at least 1 epoch");
    }

    [Fact]
    public void Zero_seeds_is_refused()
    {
        Fails("name: x\narms: [true]\nseeds: 0\n", "seeds", 3, "0 is outside 1..1000000 (a sweep needs at least 1 seed)");
        Fails("name: x\narms: [true]\nseeds: []\n", "seeds", 3, "the list is empty");
        Fails("name: x\narms: [true]\nseeds: [1, -2]\n", "seeds[1]", 3, "-2 must be at least 0");
    }

    [Fact]
    public void Adaptive_seed_budgets_are_validated()
    {
        const string Spec = "name: x\narms: [true]\nseeds:\n  min: 1\n  max: 0\n  target_halfwidth: 2\n  metric: loss\n  step: 3\n";
        Fails(Spec, "seeds.min", 4, "(a confidence interval needs at least 2 seeds)");
        Fails(Spec, "seeds.max", 5, "max must be at least min");
        Fails(Spec, "seeds.target_halfwidth", 6, "2 is outside (0, 1)");
        Fails(Spec, "seeds.metric", 7, "unknown metric 'loss'; expected one of test_accuracy, pre_finetune_test_accuracy");
        Fails(Spec, "seeds.step", 8, "unknown field 'step'");
    }

    [Fact]
    public void An_equivalence_margin_is_a_difference_of_accuracies()
    {
        Assert.Equal(0.005, Specs.Parse("name: x\narms: [true]\nseeds: 1\nequivalence_margin: 0.005\n").EquivalenceMargin);
        Assert.Null(Specs.Parse("name: x\narms: [true]\nseeds: 1\n").EquivalenceMargin);
        Fails("name: x\narms: [true]\nseeds: 1\nequivalence_margin: 1.5\n", "equivalence_margin", 4, "1.5 is outside (0, 1)");
        Fails("name: x\narms: [true]\nseeds: 1\nequivalence_margin: 0\n", "equivalence_margin", 4, "0 is outside (0, 1)");
        Fails("name: x\narms: [true]\nseeds: 1\nequivalence_margin: half\n", "equivalence_margin", 4, "expected a number, got 'half'");
    }

    [Fact]
    public void An_unknown_arm_lists_the_arms()
    {
        Fails("name: x\narms: [true, arbitrary]\nseeds: 1\n", "arms[1]", 2, "expected one of true, noisy, random-frozen, head-only, got 'arbitrary'");
    }

    [Fact]
    public void Empty_lists_and_missing_fields_are_errors()
    {
        Fails("name: x\narms: []\nseeds: 1\n", "arms", 2, "the list is empty");
        Fails("name: x\narms: [true]\nseeds: 1\ngrid: {learning_rate: []}\n", "grid.learning_rate", 4, "the list is empty");
        Fails("name: x\nseeds: 1\n", "arms", 1, "missing required field 'arms'");
    }

    [Fact]
    public void Duplicate_keys_are_errors_pointing_at_both()
    {
        Fails("name: x\narms: [true]\nseeds: 1\ngrid:\n  learning_rate: 1e-4\n  learning_rate: 1e-3\n",
            "grid.learning_rate", 6, "duplicate key 'learning_rate' (first given at line 5, column 3)");
    }

    [Fact]
    public void Noise_without_the_noisy_arm_is_refused()
    {
        Fails("name: x\narms: [true, random-frozen]\nseeds: 1\ngrid:\n  noise: [0.5, 1]\n",
            "grid.noise", 5, "noise applies only to arm noisy, which arms does not include (arms: true, random-frozen)");
        Fails("name: x\narms: [head-only]\nseeds: 1\nsample: {count: 2, seed: 1, noise_model: {choice: [uniform]}}\n",
            "sample.noise_model", 4, "noise_model applies only to arm noisy");
    }

    [Fact]
    public void A_hyperparameter_is_given_in_one_place_only()
    {
        Fails("name: x\narms: [true]\nseeds: 1\nmodel: {dense: 100}\ngrid: {dense: [50, 100]}\n",
            "grid.dense", 5, "dense is already given by model.dense at line 4, column 9; give it in one place");
    }

    [Fact]
    public void Sample_distributions_are_checked()
    {
        const string Spec = """
            name: x
            arms: [true]
            seeds: 1
            sample:
              count: 4
              seed: 1
              learning_rate: {log_uniform: [0, 1e-3]}
              batch_size: {uniform: [1, 10]}
              dense: {int_uniform: [400, 100]}
              head: choice
            """;
        Fails(Spec, "sample.learning_rate.log_uniform[0]", 7, "learning_rate: 0 must be in (0, 10]");
        Fails(Spec, "sample.batch_size.uniform", 8, "unknown distribution 'uniform' for batch_size; expected one of choice, int_uniform");
        Fails(Spec, "sample.dense.int_uniform", 9, "int_uniform needs min <= max, got [400, 100]");
        Fails(Spec, "sample.head", 10, "expected one distribution: {choice: [...]}, got 'choice'");
    }

    [Fact]
    public void Every_error_is_reported_at_once_in_file_order()
    {
        var exception = Assert.Throws<SpecException>(() => Specs.Parse("""
            name: many errors
            arms: [true, bogus]
            seeds: 0
            grid:
              learning_rate: -1
            """));

        Assert.Equal([1, 2, 3, 5], exception.Errors.Select(e => e.Position.Line));
        Assert.StartsWith("test.yaml: invalid sweep spec (4 errors):\n  name at line 1, column 7: 'many errors' is not a valid sweep name", exception.Message);
    }

    [Fact]
    public void A_billion_trial_grid_is_refused_before_it_is_listed()
    {
        var values = "[" + string.Join(", ", Enumerable.Range(1, 100)) + "]";
        var yaml = $"""
            name: huge
            arms: [true, noisy]
            grid:
              batch_size: {values}
              conv1: {values}
              conv2: {values}
              dense: {values}
            seeds: 10
            """;
        var error = Fails(yaml, "grid", 3, "the sweep expands to 2,000,000,000 trials (counted before removing duplicates), over the limit of 100,000");
        Assert.Contains("raise max_trials", error.Message);
    }

    [Fact]
    public void The_trial_limit_is_configurable_and_a_spec_can_only_lower_it()
    {
        const string Spec = "name: x\narms: [true]\ngrid: {batch_size: [16, 32, 64]}\nseeds: 10\n";
        Assert.Equal(30, SweepExpansion.CountUpperBound(Specs.Parse(Spec)));
        Assert.Throws<SpecException>(() => Specs.Parse(Spec, maxTrials: 29));
        // A spec may lower the reader's limit but not raise it: the limit protects the node.
        Assert.Equal(30, Specs.Parse(Spec + "max_trials: 30\n", maxTrials: 40).MaxTrials);
        Fails(Spec + "max_trials: 30\n", "max_trials", 5, "30 is outside 1..29 (a spec may lower the reader's limit, not raise it", maxTrials: 29);
        Fails(Spec + "max_trials: 20\n", "grid", 3, "over the limit of 20");
        // An adaptive budget counts with its maximum.
        Fails("name: x\narms: [true]\nseeds: {min: 10, max: 200000, target_halfwidth: 0.01}\n", "seeds", 3, "with up to 200000 seeds per cell");
    }

    [Fact]
    public void Empty_and_multi_document_specs_are_refused()
    {
        Fails("", "(spec)", 1, "the spec is empty");
        Fails("name: a\n---\nname: b\n", "(spec)", 2, "a spec is one YAML document");
        Fails("- just\n- a list\n", "(spec)", 1, "expected a mapping with fields name, kind, sleep_ms, dataset");
    }

    [Fact]
    public void The_sleep_kind_is_read_and_a_bad_kind_is_refused()
    {
        var sweep = Specs.Expand("name: x\nkind: sleep\nsleep_ms: 25\narms: [true, noisy]\nseeds: 2\n");
        Assert.All(sweep.Trials, t => Assert.Equal((TrialKind.Sleep, 25), (t.Config.Kind, t.Config.SleepMs)));
        Fails("name: x\nkind: nap\narms: [true]\nseeds: 1\n", "kind", 2, "unknown kind 'nap'; expected one of train, sleep");
        Fails("name: x\nsleep_ms: 5\narms: [true]\nseeds: 1\n", "sleep_ms", 2, "only kind sleep sleeps");
    }

    [Fact]
    public void Anchors_are_followed_and_an_unknown_alias_is_an_error()
    {
        var sweep = Specs.Expand("name: x\narms: [true]\nseeds: 1\ngrid: {conv1: &widths [16, 32], conv2: *widths}\n");
        Assert.Equal(["16x16", "16x32", "32x16", "32x32"], sweep.Trials.Select(t => $"{t.Config.Model.Conv1}x{t.Config.Model.Conv2}"));
        Fails("name: x\narms: *nowhere\nseeds: 1\n", "arms", 2, "unknown alias '*nowhere'");
    }

    [Fact]
    public void Load_names_the_file_and_relative_dataset_paths_mean_the_first_data_root()
    {
        var folder = Directory.CreateTempSubdirectory("sweep-spec-").FullName;
        try
        {
            var file = Path.Combine(folder, "spec.yaml");
            var options = SpecOptions.Confined(new DataRoots([folder, "/srv/data"]));
            File.WriteAllText(file, "name: x\ndataset: {name: image-folder, path: photos, group_file: /srv/data/groups.csv}\narms: [true]\nseeds: 1\n");
            var spec = SweepSpecParser.Load(file, options);
            Assert.Equal(Path.Combine(folder, "photos"), spec.Dataset.Path);
            Assert.Equal("/srv/data/groups.csv", spec.Dataset.GroupFile);

            File.WriteAllText(file, "name: x\narms: [true]\nseeds: zero\n");
            var error = Assert.Throws<SpecException>(() => SweepSpecParser.Load(file, options));
            Assert.StartsWith($"{file}: invalid sweep spec (1 error):\n  seeds at line 3, column 8: expected an integer, got 'zero'", error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("/etc", "dataset.path")]
    [InlineData("../../etc", "dataset.path")]
    [InlineData("images/../../../srv/data-other", "dataset.path")]
    [InlineData("/srv/data/../secrets", "dataset.path")]
    public void Dataset_paths_outside_the_data_roots_are_refused_at_their_line(string path, string field)
    {
        var options = SpecOptions.Confined(new DataRoots(["/srv/data/team", "/usr/share/datasets"]));
        var error = Assert.Throws<SpecException>(() =>
            SweepSpecParser.Parse($"name: x\ndataset:\n  name: image-folder\n  path: {path}\narms: [true]\nseeds: 1\n", "spec.yaml", options));
        var only = Assert.Single(error.Errors);
        Assert.Equal(field, only.Field);
        Assert.Equal(4, only.Position.Line);
        Assert.Contains($"'{path}' lies outside the data roots (/srv/data/team, /usr/share/datasets)", only.Message);
    }

    [Fact]
    public void A_spec_longer_than_the_limit_is_refused_before_it_is_parsed()
    {
        var yaml = "name: x\narms: [true]\nseeds: 1\n" + new string('#', 300 * 1024);
        var error = Assert.Throws<SpecException>(() => SweepSpecParser.Parse(yaml, "big.yaml"));
        Assert.Contains("over the limit of 262,144", Assert.Single(error.Errors).Message);
    }
}
