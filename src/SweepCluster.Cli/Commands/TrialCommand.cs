using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using SweepCluster.Training.Data;
using SweepCluster.Training.Labels;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cli.Commands;

/// <summary><c>sweep trial</c>: runs one trial in this process and prints its record.</summary>
public static class TrialCommand
{
    public static Command Create()
    {
        var arm = new Option<string>("--arm") { Description = "true | noisy | random-frozen | head-only", Required = true };
        arm.AcceptOnlyFromAmong("true", "noisy", "random-frozen", "head-only");
        var noise = new Option<double?>("--noise") { Description = "Fraction of pre-training labels corrupted (arm noisy; default 1 = arbitrary labels)" };
        var noiseModel = new Option<string>("--noise-model") { Description = "shuffle | uniform", DefaultValueFactory = _ => "shuffle" };
        noiseModel.AcceptOnlyFromAmong("shuffle", "uniform");
        var noiseSeed = new Option<ulong?>("--noise-seed") { Description = "Seed of the label corruption (default: derived from --seed)" };
        var seed = new Option<int>("--seed") { Description = "Trial seed: arms with the same seed share initial weights, data order and split", Required = true };
        var data = new Option<string>("--data")
        {
            Description = "auto | fashion-mnist-subset (bundled) | fashion-mnist | a folder of IDX files or of class folders (auto: the full Fashion-MNIST where installed, else the bundled subset)",
            DefaultValueFactory = _ => "auto",
        };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Use only the first N training images" };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs of every phase (shorthand for both options below)" };
        var pretrainEpochs = new Option<int?>("--pretrain-epochs") { Description = "Epochs of pre-training (default 1)" };
        var finetuneEpochs = new Option<int?>("--finetune-epochs") { Description = "Epochs of head fine-tuning (default 1)" };
        var learningRate = new Option<double>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 1e-4 };
        var batchSize = new Option<int>("--batch-size") { Description = "Mini-batch size", DefaultValueFactory = _ => 64 };
        var head = new Option<string>("--head") { Description = "continue | reinit: the dense head before fine-tuning", DefaultValueFactory = _ => "continue" };
        head.AcceptOnlyFromAmong("continue", "reinit");
        var optimizer = new Option<string>("--optimizer") { Description = "adam | sgd (momentum 0.9)", DefaultValueFactory = _ => "adam" };
        optimizer.AcceptOnlyFromAmong("adam", "sgd");
        var conv1 = new Option<int>("--conv1") { Description = "Filters of the first convolution", DefaultValueFactory = _ => 32 };
        var conv2 = new Option<int>("--conv2") { Description = "Filters of the second convolution", DefaultValueFactory = _ => 64 };
        var dense = new Option<int>("--dense") { Description = "Width of the hidden dense layer", DefaultValueFactory = _ => 200 };
        var imageSize = new Option<int?>("--image-size") { Description = "Image folders: resize to N x N (default 64)" };
        var channels = new Option<int?>("--channels") { Description = "Image folders: 1 (grey) or 3 (RGB, default)" };
        var groupFile = new Option<string?>("--group-file") { Description = "Image folders: CSV subject,classname,img for splits by group" };
        var validationFraction = new Option<double>("--validation-fraction") { Description = "Share of training images held out for validation", DefaultValueFactory = _ => 0.1 };
        var device = new Option<string>("--device") { Description = "auto | cpu | cuda | cuda:N", DefaultValueFactory = _ => "auto" };
        var threads = new Option<int>("--threads") { Description = "Torch threads (0: libtorch's default)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print the full record as JSON instead of a summary" };
        var output = new Option<FileInfo?>("--out") { Description = "Also write the JSON record to this file" };

        var command = new Command("trial", "Run one trial of the arbitrary-label experiment and print what it measured")
        {
            arm, noise, noiseModel, noiseSeed, seed, data, trainLimit, epochs, pretrainEpochs, finetuneEpochs, learningRate,
            batchSize, head, optimizer, conv1, conv2, dense, imageSize, channels, groupFile, validationFraction, device,
            threads, json, output,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            // The user who runs this names the data on its command line, so the folders named are data roots.
            var named = new[] { parse.GetValue(data), Path.GetDirectoryName(parse.GetValue(groupFile)) }
                .Where(folder => !string.IsNullOrEmpty(folder) && Directory.Exists(folder)).Select(folder => Path.GetFullPath(folder!));
            var catalog = new DatasetCatalog(new DataSettings { DataRoots = new DataRoots([.. named, Environment.CurrentDirectory, DataRoots.DebianDatasets]) });
            try
            {
                var chosenArm = Enum.Parse<Arm>(parse.GetValue(arm)!.Replace("-", ""), ignoreCase: true);
                var config = new TrialConfig
                {
                    Arm = chosenArm,
                    Seed = parse.GetValue(seed),
                    Noise = parse.GetValue(noise) ?? (chosenArm == Arm.Noisy ? 1.0 : 0.0),
                    NoiseModel = Enum.Parse<NoiseModel>(parse.GetValue(noiseModel)!, ignoreCase: true),
                    NoiseSeed = parse.GetValue(noiseSeed),
                    Dataset = DatasetArgument.Resolve(parse.GetValue(data)!, catalog) with
                    {
                        TrainLimit = parse.GetValue(trainLimit),
                        ValidationFraction = parse.GetValue(validationFraction),
                        ImageSize = parse.GetValue(imageSize),
                        Channels = parse.GetValue(channels),
                        GroupFile = parse.GetValue(groupFile),
                    },
                    Model = new ModelConfig { Conv1 = parse.GetValue(conv1), Conv2 = parse.GetValue(conv2), Dense = parse.GetValue(dense) },
                    PretrainEpochs = parse.GetValue(pretrainEpochs) ?? parse.GetValue(epochs) ?? 1,
                    FinetuneEpochs = parse.GetValue(finetuneEpochs) ?? parse.GetValue(epochs) ?? 1,
                    LearningRate = parse.GetValue(learningRate),
                    BatchSize = parse.GetValue(batchSize),
                    Head = Enum.Parse<HeadInit>(parse.GetValue(head)!, ignoreCase: true),
                    Optimizer = Enum.Parse<OptimizerKind>(parse.GetValue(optimizer)!, ignoreCase: true),
                };
                var options = new TrialRunOptions(parse.GetValue(device)!, parse.GetValue(threads));
                var runner = new TrialRunner(catalog);
                config = config.Normalise();
                var result = parse.GetValue(json)
                    ? await runner.RunAsync(config, options, null, cancellation)
                    : await RunWithProgress(runner, config, options, cancellation);
                var text = JsonSerializer.Serialize(result, TrialJson.Options);
                if (parse.GetValue(output) is { } file) await File.WriteAllTextAsync(file.FullName, text + "\n", cancellation);
                if (parse.GetValue(json)) Console.WriteLine(text);
                else TrialSummary.Write(result);
                return 0;
            }
            catch (Exception e) when (e is ConfigException or DataFormatException or TrialFailedException or InvalidOperationException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    static async Task<TrialResult> RunWithProgress(TrialRunner runner, TrialConfig config, TrialRunOptions options, CancellationToken cancellation)
    {
        TrialResult? result = null;
        await AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = await runner.RunAsync(config, options, p =>
                {
                    if (!tasks.TryGetValue(p.Phase, out var task))
                        tasks[p.Phase] = task = context.AddTask(p.Phase, maxValue: (double)p.Batches * p.Epochs);
                    task.Value = (double)(p.Epoch - 1) * p.Batches + p.Batch;
                    task.Description = $"{p.Phase} epoch {p.Epoch}/{p.Epochs} [grey]{p.ImagesPerSecond:F0} img/s[/]";
                }, cancellation);
            });
        return result!;
    }
}
