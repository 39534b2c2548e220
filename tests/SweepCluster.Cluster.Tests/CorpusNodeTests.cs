using Akka.Actor;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Corpus;
using SweepCluster.Storage;
using SweepCluster.Storage.Tests;
using SweepCluster.Training.Data;

namespace SweepCluster.Cluster.Tests;

/// <summary>
/// The whole bad-input corpus against one running node: every bad spec is refused at submission
/// with its expected error, every bad dataset fails its trial with the file named, and afterwards
/// the node still serves and nothing partial is left: no refused sweep, no result row, no cache entry.
/// </summary>
public sealed class CorpusNodeTests : IDisposable
{
    readonly string _cache = Directory.CreateTempSubdirectory("corpus-node-cache-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    [Fact]
    public async Task Should_refuse_every_bad_input_by_name_and_keep_serving_with_nothing_left_behind()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        var settings = new NodeSettings
        {
            Port = 0,
            DatabaseProvider = db.Settings.ProviderName,
            DatabaseConnection = db.Settings.ConnectionString,
            Devices = "cpu:2",
            DownAfterSeconds = 2,
            DataRoots = BadInputCorpus.DataFolder,
            CacheDirectory = _cache,
        };
        await using var node = await SweepNode.StartAsync(settings, new DatasetCatalog(settings.DataSettings()), "WARNING");
        var timeout = TimeSpan.FromSeconds(30);

        foreach (var bad in BadInputCorpus.Specs())
        {
            var reply = await node.Coordinator.Ask<ISweepMessage>(new SubmitSweep(await File.ReadAllTextAsync(bad.File), bad.File, false), timeout);
            var rejected = Assert.IsType<SweepRejected>(reply);
            Assert.Contains($"{bad.Where}, column", rejected.Reason);
            Assert.Contains(bad.Phrase, rejected.Reason);
        }
        var afterSpecs = await node.Coordinator.Ask<SweepList>(ListSweeps.Instance, timeout);
        Assert.Empty(afterSpecs.Sweeps);

        // Each bad dataset behind a valid spec: accepted, then its one trial fails for good, naming the file.
        var sweeps = new List<(DataCase Case, string SweepId)>();
        foreach (var bad in BadInputCorpus.Data())
        {
            var config = bad.Config;
            var dataset = config.Name == "idx"
                ? $"{{name: idx, path: {config.Path}}}"
                : $"{{name: image-folder, path: {config.Path}, image_size: 28, channels: 1}}";
            var spec = $"name: corpus-{Path.GetFileName(bad.Folder)}\ndataset: {dataset}\narms: [true]\nseeds: 1\n";
            var accepted = await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(spec, bad + ".yaml", false), timeout);
            sweeps.Add((bad, accepted.SweepId));
        }
        foreach (var (bad, sweepId) in sweeps)
        {
            var status = await RecoveryTests.WaitUntilFinished(node.Coordinator, sweepId);
            Assert.Equal((0, 1), (status.Summary!.Completed, status.Summary.Failed));
            var failure = Assert.Single(status.Failures);
            Assert.Contains(bad.ExpectedPath, failure);
            Assert.Contains(bad.Phrase, failure);
        }

        var list = await node.Coordinator.Ask<SweepList>(ListSweeps.Instance, timeout);
        Assert.Equal(sweeps.Count, list.Sweeps.Count);
        Assert.Empty(await db.Store.QueryAsync(new ResultQuery()));
        Assert.Empty(Directory.EnumerateFiles(_cache, "*", SearchOption.AllDirectories));
    }
}
