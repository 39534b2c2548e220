using Microsoft.Data.Sqlite;
using SweepCluster.Storage;
using SweepCluster.Storage.Tests;
using SweepCluster.Sweeps;
using SweepCluster.Training.Trials;

namespace SweepCluster.Reports.Tests;

/// <summary>
/// A SQLite file holding one sweep as the cluster would have stored it, without training: the four
/// arms, noisy at p = 0.5 and 1, 12 paired seeds each, values with a shared per-seed effect (so the
/// pairing matters) and arm effects of the size the experiment expects, three fine-tuning epochs
/// each. Two trials of the noisy p = 1 cell are listed but have no result, as if they had failed.
/// </summary>
public sealed class StoredSweepFixture : IDisposable
{
    public const string SweepId = "seeds-0123abcd";
    public const int Seeds = 12;
    public static readonly int[] FailedSeeds = [11, 12];
    /// <summary>The spec's <c>equivalence_margin</c>, what a report uses without <c>--margin</c>.</summary>
    public const double SpecMargin = 0.004;

    /// <summary>Cells with their mean test accuracy: true well above the control, arbitrary labels (p = 1) within a fraction of a point of it.</summary>
    public static readonly (Arm Arm, double Noise, double Mean)[] Cells =
    [
        (Arm.True, 0, 0.850), (Arm.Noisy, 0.5, 0.810), (Arm.Noisy, 1, 0.789), (Arm.RandomFrozen, 0, 0.790), (Arm.HeadOnly, 0, 0.750),
    ];

    readonly string _folder = Directory.CreateTempSubdirectory("sweep-report-test-").FullName;

    public StoredSweepFixture()
    {
        DatabasePath = Path.Combine(_folder, "sweep.db");
        Store = new ResultsStore(DatabaseSettings.Sqlite(DatabasePath));
        Store.EnsureSchemaAsync().GetAwaiter().GetResult();
        var random = new Random(42);
        var seedEffect = Enumerable.Range(0, Seeds + 1).Select(_ => Normal(random, 0.01)).ToArray();
        var rows = new List<ResultRow>();
        var members = new List<SweepMembership>();
        foreach (var (arm, noise, mean) in Cells)
            for (var seed = 1; seed <= Seeds; seed++)
            {
                var made = TrialResults.Make(arm, seed, noise);
                members.Add(new SweepMembership(SweepId, made.ConfigHash));
                var accuracy = mean + seedEffect[seed] + Normal(random, 0.004);
                var result = made with
                {
                    TestAccuracy = accuracy,
                    PreFinetuneTestAccuracy = made.Config.HasFeatures ? 0.1 + Normal(random, 0.01) : null,
                    Epochs = made.Epochs.Select(e => e.Phase == SweepObservations.FinetunePhase
                        ? e with { ValidationAccuracy = accuracy - 0.03 * (made.Config.FinetuneEpochs - e.Epoch) + Normal(random, 0.003) }
                        : e).ToList(),
                };
                if (arm == Arm.Noisy && noise == 1 && FailedSeeds.Contains(seed))
                    continue;
                rows.Add(ResultRow.From(result, SweepExpansion.CellKey(result.Config), $"worker-{seed % 2}"));
            }
        // A trial of another sweep, which no report of this one may show.
        var other = TrialResults.Make(Arm.True, 99);
        rows.Add(ResultRow.From(other, SweepExpansion.CellKey(other.Config), "worker-0"));
        members.Add(new SweepMembership("other-sweep", other.ConfigHash));
        var sweep = new SweepRow(SweepId, "seeds", DateTimeOffset.UnixEpoch, SpecMargin, "name: seeds\nequivalence_margin: 0.004\n");
        Store.WriteBatchAsync("results", 1, rows, members, [sweep]).GetAwaiter().GetResult();
    }

    public string DatabasePath { get; }
    public ResultsStore Store { get; }

    /// <summary>The sweep's stored rows straight from the store, as the expected side of every check.</summary>
    public IReadOnlyList<ResultRow> Rows() => Store.QueryAsync(new ResultQuery { SweepId = SweepId }).GetAwaiter().GetResult();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    static double Normal(Random random, double sd) =>
        sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
