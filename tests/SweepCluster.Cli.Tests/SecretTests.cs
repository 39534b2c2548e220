using System.Text;
using Npgsql;
using SweepCluster.Cluster.Tests;
using SweepCluster.Storage;
using SweepCluster.Storage.Tests;

namespace SweepCluster.Cli.Tests;

/// <summary>
/// No secret leaks: a real node process runs a sweep on PostgreSQL, and the database password is
/// searched for in everything the node printed, everything the client commands printed, every
/// file <c>sweep report</c> wrote and every value of every table the sweep wrote. A node given a
/// wrong password must fail without echoing it.
/// </summary>
public sealed class SecretTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("sweep-secret-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task The_database_password_appears_in_no_output_log_result_or_table()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.PostgreSqlName);
        var connection = db.Settings.ConnectionString;
        var password = new NpgsqlConnectionStringBuilder(connection).Password!;
        Assert.True(password.Length >= 8, "the test password must be distinctive enough to search for");
        var port = ListeningSockets.FreePort();
        var contact = $"akka.tcp://sweep@127.0.0.1:{port}";
        // The database argument only sets the node's working folder here; the connection below wins.
        using var node = NodeProcess.Start(port, "coordinator,worker", "", Path.Combine(_folder, "node"),
            new Dictionary<string, string> { ["SWEEP_DATABASE_PROVIDER"] = "postgresql", ["SWEEP_DATABASE_CONNECTION"] = connection });
        await node.WaitUntilUp();

        var spec = Path.Combine(_folder, "secret.yaml");
        await File.WriteAllTextAsync(spec, "name: secret\nkind: sleep\nsleep_ms: 10\narms: [true, head-only, random-frozen]\nseeds: 3\n");
        var outputs = new List<Sweep.Output> { await Sweep.Run("submit", spec, "--cluster", contact, "--watch") };
        Assert.True(outputs[0].ExitCode == 0, outputs[0].Stdout + outputs[0].Stderr);
        var sweepId = Sweep.SweepId(outputs[0]);
        for (var i = 0; i < 100 && await db.Store.CountBySweepAsync(sweepId) < 9; i++) await Task.Delay(100);
        Assert.Equal(9, await db.Store.CountBySweepAsync(sweepId));
        var stored = new[] { "--database-provider", "postgresql", "--database-connection", connection };
        foreach (var format in new[] { "table", "csv", "json" })
            outputs.Add(await Sweep.Run(["results", sweepId, .. stored, "--format", format]));
        outputs.Add(await Sweep.Run(["results", sweepId, .. stored, "--stats"]));
        var report = Path.Combine(_folder, "report");
        outputs.Add(await Sweep.Run(["report", sweepId, .. stored, "--out", report]));
        outputs.Add(await Sweep.Run("list", "--cluster", contact));
        outputs.Add(await Sweep.Run("status", sweepId, "--cluster", contact));
        Assert.All(outputs.Skip(1), o => Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr));
        Assert.Contains(outputs, o => o.Stdout.Contains("9 trials of 9 reported")); // the report read the sweep

        // Wrong credentials: the node and the results command fail, saying why, without the password they were given.
        var wrongPassword = "wrong-" + password;
        var wrong = new NpgsqlConnectionStringBuilder(connection) { Password = wrongPassword }.ConnectionString;
        using var refused = NodeProcess.Start(ListeningSockets.FreePort(), "coordinator,worker", "", Path.Combine(_folder, "refused"),
            new Dictionary<string, string> { ["SWEEP_DATABASE_PROVIDER"] = "postgresql", ["SWEEP_DATABASE_CONNECTION"] = wrong });
        await refused.WaitForExit(TimeSpan.FromMinutes(2));
        var refusedResults = await Sweep.Run("results", sweepId, "--database-provider", "postgresql", "--database-connection", wrong);
        Assert.NotEqual(0, refusedResults.ExitCode);
        Assert.Contains("password authentication failed", refusedResults.Stderr);
        Assert.Contains(refused.Lines, l => l.Contains("password authentication failed"));

        var everything = new StringBuilder();
        foreach (var line in node.Lines.Concat(refused.Lines)) everything.AppendLine(line);
        foreach (var output in outputs.Append(refusedResults)) everything.AppendLine(output.Stdout).AppendLine(output.Stderr);
        // Every file of the report, the figures included (a PNG's text chunks are Latin-1).
        var reportFiles = Directory.GetFiles(report, "*", SearchOption.AllDirectories);
        Assert.Contains(reportFiles, f => f.EndsWith(".png", StringComparison.Ordinal));
        foreach (var file in reportFiles) everything.AppendLine(Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)));
        everything.Append(await EveryValue(connection));
        var text = everything.ToString();
        Assert.Contains(sweepId, text); // the search covers what the sweep wrote
        Assert.DoesNotContain(password, text);
        Assert.DoesNotContain(wrongPassword, text);
    }

    /// <summary>Every value of every table in the test's schema, byte arrays (the journal's payloads) read as UTF-8.</summary>
    static async Task<string> EveryValue(string connectionString)
    {
        var text = new StringBuilder();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()", connection))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        Assert.Contains("trial_results", tables);
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT * FROM \"{table}\"", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                for (var i = 0; i < reader.FieldCount; i++)
                    text.AppendLine(reader.GetValue(i) switch
                    {
                        byte[] bytes => Encoding.UTF8.GetString(bytes),
                        var value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
                    });
        }
        return text.ToString();
    }
}
