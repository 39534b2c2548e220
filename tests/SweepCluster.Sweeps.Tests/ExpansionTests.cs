using SweepCluster.Training.Labels;
using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps.Tests;

public class ExpansionTests
{
    const string Grid = """
        name: grid
        dataset: {name: fashion-mnist-subset, train_limit: 1000}
        arms: [true, noisy, random-frozen]
        grid:
          learning_rate: [1e-4, 1e-3]
          noise: [0.5, 1]
          batch_size: 64
        seeds: 2
        """;

    // The same spec with other whitespace, flow style, quoting of names and the keys in another order.
    const string GridRewritten = """
        seeds: 2
        grid: {batch_size: 64, noise: [0.5, 1.0], learning_rate: [0.0001, 0.001]}
        arms:
          - "true"
          - noisy
          - 'random-frozen'
        dataset:
            train_limit: 1000
            name: fashion-mnist-subset
        name: grid
        """;

    [Fact]
    public void Dataset_auto_is_the_full_set_or_the_subset_as_the_reader_says_and_no_trial_says_auto()
    {
        const string Auto = "name: auto\ndataset: {name: auto, train_limit: 500}\narms: [true]\nseeds: 2\n";
        const string Full = "name: auto\ndataset: {name: fashion-mnist, train_limit: 500}\narms: [true]\nseeds: 2\n";
        const string Subset = "name: auto\ndataset: {name: fashion-mnist-subset, train_limit: 500}\narms: [true]\nseeds: 2\n";
        static IEnumerable<string> Ids(string yaml, SpecOptions options) =>
            SweepExpansion.Expand(SweepSpecParser.Parse(yaml, "auto.yaml", options)).Trials.Select(t => t.Id);

        var installed = new SpecOptions { AutoDataset = DatasetConfig.FashionMnist };
        Assert.Equal(Ids(Full, installed), Ids(Auto, installed));
        Assert.Equal(Ids(Subset, new SpecOptions()), Ids(Auto, new SpecOptions()));
        Assert.NotEqual(Ids(Auto, installed), Ids(Auto, new SpecOptions()));
    }

    [Fact]
    public void Arms_without_noise_are_not_multiplied_by_the_noise_values()
    {
        var sweep = Specs.Expand(Grid);

        // true: 2 rates; noisy: 2 rates x 2 noise levels; random-frozen: 2 rates; 2 seeds each.
        Assert.Equal(2 + 4 + 2, sweep.Cells.Count);
        Assert.Equal(16, sweep.Trials.Count);
        Assert.Equal(0, sweep.DuplicatesRemoved);
        Assert.All(sweep.Trials.Where(t => t.Config.Arm != Arm.Noisy), t => Assert.Equal(0, t.Config.Noise));
    }

    [Fact]
    public void Settings_an_arm_does_not_use_are_not_crossed_for_it()
    {
        var sweep = Specs.Expand("""
            name: unused
            arms: [true, random-frozen, head-only]
            grid:
              pretrain_epochs: [1, 2, 3]
              head: [continue, reinit]
              conv1: [16, 32]
            seeds: 1
            """);

        Assert.Equal(3 * 2 * 2, sweep.Cells.Count(c => c.Arm == Arm.True));
        Assert.Equal(2 * 2, sweep.Cells.Count(c => c.Arm == Arm.RandomFrozen));
        Assert.Single(sweep.Cells, c => c.Arm == Arm.HeadOnly);
    }

    [Fact]
    public void Identical_trials_are_listed_once_in_order_of_first_occurrence()
    {
        var sweep = Specs.Expand("""
            name: duplicates
            arms: [true, noisy, true]
            grid:
              learning_rate: [1e-4, 0.0001, 1e-3]
            seeds: [1, 2, 1]
            """);

        Assert.Equal(2 * 2 * 2, sweep.Trials.Count);
        Assert.Equal(3 * 3 * 3 - 8, sweep.DuplicatesRemoved);
        Assert.Equal(sweep.Trials.Count, sweep.Trials.Select(t => t.Id).Distinct().Count());
        Assert.Equal(
            ["true 0.0001 1", "true 0.0001 2", "true 0.001 1", "true 0.001 2", "noisy 0.0001 1", "noisy 0.0001 2", "noisy 0.001 1", "noisy 0.001 2"],
            sweep.Trials.Select(t => $"{TrialConfig.Format(t.Config.Arm)} {t.Config.LearningRate} {t.Config.Seed}"));
    }

    [Fact]
    public void The_same_spec_gives_the_same_ids_in_the_same_order_however_it_is_written()
    {
        var first = Specs.Expand(Grid).Trials.Select(t => (t.Id, t.CellKey, t.CellLabel)).ToList();
        var again = Specs.Expand(Grid).Trials.Select(t => (t.Id, t.CellKey, t.CellLabel)).ToList();
        var rewritten = Specs.Expand(GridRewritten).Trials.Select(t => (t.Id, t.CellKey, t.CellLabel)).ToList();

        Assert.Equal(first, again);
        Assert.Equal(first, rewritten);
    }

    [Fact]
    public void Trial_ids_are_the_hash_of_the_normalised_config()
    {
        var trial = Specs.Expand(Grid).Trials.First(t => t.Config.Arm == Arm.Noisy);
        var byHand = new TrialConfig
        {
            Arm = Arm.Noisy,
            Noise = 0.5,
            Seed = 1,
            LearningRate = 1e-4,
            Dataset = new DatasetConfig { TrainLimit = 1000 },
        };
        Assert.Equal(byHand.Hash(), trial.Id);
        Assert.Equal(byHand.Normalise(), trial.Config with { });
    }

    [Fact]
    public void A_cell_holds_the_trials_that_differ_only_by_seed()
    {
        var sweep = Specs.Expand(Grid);

        foreach (var cell in sweep.Cells)
        {
            Assert.Equal([1, 2], cell.Seeds);
            Assert.All(cell.Trials, t => Assert.Equal(cell.Key, t.CellKey));
            Assert.All(cell.Trials, t => Assert.Equal(cell.Label, t.CellLabel));
            Assert.Equal(SweepExpansion.CellKey(cell.Trials[0].Config with { Seed = 99 }), cell.Key);
        }
        Assert.Equal(sweep.Cells.Count, sweep.Cells.Select(c => c.Key).Distinct().Count());
        Assert.Matches("^[0-9a-f]{64}$", sweep.Cells[0].Key);
    }

    [Fact]
    public void Cell_labels_show_the_arm_its_noise_and_only_the_axes_that_vary()
    {
        var labels = Specs.Expand(Grid).Cells.Select(c => c.Label).ToList();

        Assert.Equal(
        [
            "true lr=0.0001", "true lr=0.001",
            "noisy p=0.5 shuffle lr=0.0001", "noisy p=0.5 shuffle lr=0.001", "noisy p=1 shuffle lr=0.0001", "noisy p=1 shuffle lr=0.001",
            "random-frozen lr=0.0001", "random-frozen lr=0.001",
        ], labels);
    }

    [Fact]
    public void A_labeller_rebuilt_from_the_configurations_gives_the_same_labels_and_can_omit_a_field()
    {
        var sweep = Specs.Expand(Grid);
        var labeller = new CellLabeller(sweep.Trials.Select(t => t.Config).ToList());
        Assert.All(sweep.Trials, t => Assert.Equal(t.CellLabel, labeller.Label(t.Config)));
        Assert.Equal(["true lr=0.0001", "true lr=0.001", "noisy shuffle lr=0.0001", "noisy shuffle lr=0.001", "random-frozen lr=0.0001", "random-frozen lr=0.001"],
            sweep.Cells.Select(c => labeller.Label(c.Trials[0].Config, Hyperparameters.Noise)).Distinct());
        Assert.False(Hyperparameters.Noise.AppliesToEveryArm);
        Assert.True(Hyperparameters.LearningRate.AppliesToEveryArm);
    }

    [Fact]
    public void A_seed_count_is_seeds_one_to_n_and_a_list_is_taken_as_given()
    {
        const string Counted = "name: s\narms: [true]\nseeds: 3\n";
        const string Listed = "name: s\narms: [true]\nseeds: [1, 2, 3]\n";

        Assert.Equal(Specs.Expand(Counted).Trials.Select(t => t.Id), Specs.Expand(Listed).Trials.Select(t => t.Id));
        Assert.Equal([3, 7, 11], Specs.Expand("name: s\narms: [true]\nseeds: [3, 7, 11]\n").Cells.Single().Seeds);
    }

    [Fact]
    public void Noise_seeds_follow_the_trial_seed_so_arms_stay_paired()
    {
        var noisy = Specs.Expand(Grid).Trials.Where(t => t.Config.Arm == Arm.Noisy).ToList();
        Assert.All(noisy, t => Assert.Equal(SeedStreams.Derive(t.Config.Seed, "noise"), t.Config.NoiseSeed));
    }

    [Fact]
    public void An_adaptive_seed_budget_is_kept_on_the_spec_and_only_its_first_seeds_are_expanded()
    {
        var spec = Specs.Parse("""
            name: adaptive
            arms: [true, random-frozen]
            seeds: {min: 10, max: 500, batch: 10, target_halfwidth: 0.002, metric: test_accuracy}
            """);

        Assert.Equal(new AdaptiveSeeds(10, 500, 10, 0.002, "test_accuracy"), spec.Seeds);
        var sweep = SweepExpansion.Expand(spec);
        Assert.Equal(20, sweep.Trials.Count);
        Assert.All(sweep.Cells, c => Assert.Equal(Enumerable.Range(1, 10), c.Seeds));
        Assert.Equal(new AdaptiveSeeds(2, 8, AdaptiveSeeds.DefaultBatch, 0.01, AdaptiveSeeds.DefaultMetric),
            Specs.Parse("name: a\narms: [true]\nseeds: {min: 2, max: 8, target_halfwidth: 0.01}\n").Seeds);
    }

    [Fact]
    public void Epochs_model_and_dataset_reach_every_trial()
    {
        var trial = Specs.Expand("""
            name: base
            dataset: {name: fashion-mnist, train_limit: 2000, validation_fraction: 0.2}
            model: {conv1: 8, conv2: 16, dense: 50, kernel: 5}
            epochs: {pretrain: 2, finetune: 3}
            arms: [true]
            seeds: 1
            """).Trials.Single();

        Assert.Equal(new DatasetConfig { Name = "fashion-mnist", TrainLimit = 2000, ValidationFraction = 0.2 }, trial.Config.Dataset);
        Assert.Equal(new ModelConfig { Conv1 = 8, Conv2 = 16, Dense = 50, Kernel = 5 }, trial.Config.Model);
        Assert.Equal((2, 3), (trial.Config.PretrainEpochs, trial.Config.FinetuneEpochs));
        Assert.Equal(5 * 1600, trial.Work.TrainingImages!.Value, precision: 6);
    }

    [Fact]
    public void The_work_estimate_counts_six_flops_per_trained_and_two_per_frozen_multiply_add()
    {
        var sweep = Specs.Expand("""
            name: work
            dataset: {train_limit: 1000, validation_fraction: 0}
            arms: [true, random-frozen, head-only]
            seeds: 1
            """);
        var flops = sweep.Trials.ToDictionary(t => t.Config.Arm, t => t.Work.Flops!.Value);

        // 28x28x1 input, 3x3 kernels: 26x26x32 after conv1, 24x24x64 after conv2, dense 200, 10 classes.
        double conv = 26 * 26 * 32 * 9 + 24 * 24 * 64 * 32 * 9, head = 24 * 24 * 64 * 200 + 200 * 10;
        Assert.Equal(1000 * (6 * (conv + head) + 2 * conv + 6 * head), flops[Arm.True], precision: 0);
        Assert.Equal(1000 * (2 * conv + 6 * head), flops[Arm.RandomFrozen], precision: 0);
        Assert.Equal(1000 * 6 * (784.0 * 200 + 200 * 10), flops[Arm.HeadOnly], precision: 0);
    }

    [Fact]
    public void Folders_of_unknown_size_have_no_estimate_unless_train_limit_is_given()
    {
        var unknown = WorkEstimator.Estimate(new TrialConfig { Dataset = new DatasetConfig { Name = DatasetConfig.Idx, Path = "/data/mnist" } });
        var limited = WorkEstimator.Estimate(new TrialConfig { Dataset = new DatasetConfig { Name = DatasetConfig.Idx, Path = "/data/mnist", TrainLimit = 100 } });

        Assert.Equal(new TrialWork(null, null), unknown);
        Assert.Equal(2 * 90, limited.TrainingImages!.Value, precision: 6);
    }

    [Fact]
    public void Noise_model_grids_only_split_the_noisy_arm()
    {
        var sweep = Specs.Expand("name: m\narms: [noisy, head-only]\ngrid: {noise_model: [shuffle, uniform]}\nseeds: 1\n");
        Assert.Equal(["noisy p=1 shuffle", "noisy p=1 uniform", "head-only"], sweep.Cells.Select(c => c.Label));
        Assert.Equal(NoiseModel.Uniform, sweep.Cells[1].Trials[0].Config.NoiseModel);
    }
}
