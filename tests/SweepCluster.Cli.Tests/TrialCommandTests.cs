using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SweepCluster.Training.Data;

namespace SweepCluster.Cli.Tests;

public class TrialCommandTests
{
    [Fact]
    public async Task Json_output_holds_the_full_record()
    {
        var run = await Sweep.Run("trial", "--arm", "noisy", "--noise", "0.5", "--seed", "4", "--data", "fashion-mnist-subset",
            "--train-limit", "1000", "--threads", "2", "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.Matches("^[0-9a-f]{64}$", root.GetProperty("config_hash").GetString());
        Assert.InRange(root.GetProperty("pre_finetune_test_accuracy").GetDouble(), 0, 1);
        Assert.InRange(root.GetProperty("test_accuracy").GetDouble(), 0.3, 1);
        Assert.Equal("noisy", root.GetProperty("config").GetProperty("arm").GetString());
        Assert.Equal(0.5, root.GetProperty("config").GetProperty("noise").GetDouble());
        Assert.Equal(450, root.GetProperty("corruption").GetProperty("selected").GetInt32());
        var phases = root.GetProperty("epochs").EnumerateArray().Select(e => e.GetProperty("phase").GetString()!).ToArray();
        Assert.Equal(["pretrain", "finetune"], phases);
        Assert.True(root.GetProperty("epochs")[0].TryGetProperty("validation_accuracy", out _));
        Assert.Equal("cpu", root.GetProperty("environment").GetProperty("device").GetString());
    }

    [Fact]
    public async Task The_summary_shows_accuracy_before_and_after_fine_tuning()
    {
        var run = await Sweep.Run("trial", "--arm", "true", "--seed", "1", "--data", "fashion-mnist-subset", "--train-limit", "600");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("test accuracy before fine-tuning:", run.Stdout);
        Assert.Contains("test accuracy after fine-tuning:", run.Stdout);
    }

    [Theory]
    [InlineData(new[] { "--arm", "true", "--noise", "0.5" }, "noise: 0.5 given for arm true; only arm noisy has label noise")]
    [InlineData(new[] { "--arm", "noisy", "--noise", "1.5" }, "noise: 1.5 is outside [0, 1]")]
    [InlineData(new[] { "--arm", "true", "--lr", "-1" }, "learning_rate: -1 must be in (0, 10]")]
    [InlineData(new[] { "--arm", "true", "--data", "/no/such/folder" }, "--data /no/such/folder: not a dataset name")]
    [InlineData(new[] { "--arm", "arbitrary" }, "Argument 'arbitrary' not recognized")]
    public async Task Bad_input_gets_a_clear_error_and_exit_code_2(string[] args, string message)
    {
        var run = await Sweep.Run(["trial", "--seed", "1", .. args]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr + run.Stdout);
    }

    [Fact]
    public async Task Trains_on_an_image_folder_of_real_pngs()
    {
        var root = Directory.CreateTempSubdirectory("sweep-images-").FullName;
        try
        {
            // 3 classes of real Fashion-MNIST images written as PNG files, one folder per class.
            var (pixels, _, rows, columns) = IdxFile.ReadImages(Path.Combine(Sweep.RepositoryRoot, "data", "fashion-mnist-subset", "train-images-idx3-ubyte.gz"));
            var labels = IdxFile.ReadLabels(Path.Combine(Sweep.RepositoryRoot, "data", "fashion-mnist-subset", "train-labels-idx1-ubyte.gz"));
            var written = new Dictionary<int, int>();
            for (var i = 0; i < labels.Length && written.Values.Sum() < 240; i++)
            {
                if (labels[i] > 2 || written.GetValueOrDefault(labels[i]) >= 80) continue;
                var folder = Directory.CreateDirectory(Path.Combine(root, $"c{labels[i]}")).FullName;
                using var image = Image.LoadPixelData<L8>(pixels.AsSpan(i * rows * columns, rows * columns), columns, rows);
                image.SaveAsPng(Path.Combine(folder, $"img_{i}.png"));
                written[labels[i]] = written.GetValueOrDefault(labels[i]) + 1;
            }
            var run = await Sweep.Run("trial", "--arm", "true", "--seed", "2", "--data", root, "--image-size", "20", "--channels", "1",
                "--epochs", "3", "--threads", "2", "--json");
            Assert.True(run.ExitCode == 0, run.Stderr);
            using var json = JsonDocument.Parse(run.Stdout);
            Assert.Equal("image-folder:" + root, json.RootElement.GetProperty("dataset").GetString());
            Assert.Equal(48, json.RootElement.GetProperty("split").GetProperty("test").GetInt32());
            // Trousers, pullovers and T-shirts are easy to tell apart: well above a third.
            Assert.True(json.RootElement.GetProperty("test_accuracy").GetDouble() > 0.6, run.Stdout);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
