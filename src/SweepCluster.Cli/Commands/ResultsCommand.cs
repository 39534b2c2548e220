using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using SweepCluster.Storage;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cli.Commands;

/// <summary><c>sweep results</c>: reads the trial_results table directly, so it works after the cluster is gone.</summary>
public static class ResultsCommand
{
    public static Command Create()
    {
        var sweep = new Argument<string>("sweep") { Description = "Sweep id, as `sweep run` or `sweep list` shows it" };
        var format = new Option<string>("--format") { Description = "table | csv | json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var database = new Option<string>("--database") { Description = "SQLite file (embedded mode)", DefaultValueFactory = _ => "sweep.db" };
        var provider = new Option<string?>("--database-provider") { Description = "sqlite | postgresql (with --database-connection)" };
        var connection = new Option<string?>("--database-connection") { Description = "Connection string, e.g. of the cluster's PostgreSQL" };
        var command = new Command("results", "Print a sweep's results, one row per trial, from the database") { sweep, format, database, provider, connection };
        command.SetAction(async (parse, cancellation) =>
        {
            DatabaseSettings settings;
            try
            {
                settings = parse.GetValue(connection) is { } text
                    ? DatabaseSettings.Create(parse.GetValue(provider) ?? "postgresql", text)
                    : File.Exists(parse.GetValue(database)) ? DatabaseSettings.Sqlite(Path.GetFullPath(parse.GetValue(database)!))
                    : throw new DatabaseSettingsException($"--database {parse.GetValue(database)}: no such file (run a sweep first, or give --database-connection)");
            }
            catch (DatabaseSettingsException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
            var rows = await new ResultsStore(settings).QueryAsync(new ResultQuery { SweepId = parse.GetValue(sweep) }, cancellation);
            if (rows.Count == 0)
            {
                Console.Error.WriteLine($"error: no results for sweep '{parse.GetValue(sweep)}' in {settings}");
                return 2;
            }
            switch (parse.GetValue(format))
            {
                case "csv":
                    Console.Write(Csv(rows));
                    break;
                case "json":
                    Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => r.ToTrialResult()), TrialJson.Options));
                    break;
                default:
                    var table = new Table().Border(TableBorder.Rounded).AddColumns("arm", "noise", "seed", "lr", "batch", "head", "before fine-tune", "test acc", "trial");
                    foreach (var r in rows)
                        table.AddRow(r.Arm, r.Noise.ToString(CultureInfo.InvariantCulture), r.Seed.ToString(), r.LearningRate.ToString(CultureInfo.InvariantCulture),
                            r.BatchSize.ToString(), r.Head, r.PreFinetuneTestAccuracy is { } b ? $"{b:F4}" : "-", $"{r.TestAccuracy:F4}", r.TrialId[..12]);
                    AnsiConsole.Write(table);
                    break;
            }
            return 0;
        });
        return command;
    }

    static string Csv(IReadOnlyList<ResultRow> rows)
    {
        var text = new StringBuilder("trial_id,cell_key,kind,arm,noise,noise_model,seed,dataset,learning_rate,batch_size,pretrain_epochs,finetune_epochs,head,optimizer,conv1,conv2,dense,pre_finetune_test_accuracy,test_accuracy\n");
        foreach (var r in rows)
            text.AppendLine(string.Join(',', r.TrialId, r.CellKey, r.Kind, r.Arm, F(r.Noise), r.NoiseModel, r.Seed, r.Dataset, F(r.LearningRate), r.BatchSize,
                r.PretrainEpochs, r.FinetuneEpochs, r.Head, r.Optimizer, r.ModelConv1, r.ModelConv2, r.ModelDense,
                r.PreFinetuneTestAccuracy is { } b ? F(b) : "", F(r.TestAccuracy)));
        return text.ToString();
    }

    static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
