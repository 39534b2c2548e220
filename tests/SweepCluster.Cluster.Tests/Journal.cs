using System.Data.Common;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SweepCluster.Cluster.Coordinator;

namespace SweepCluster.Cluster.Tests;

/// <summary>
/// The coordinator's journal read straight from its SQL tables (SQLite or PostgreSQL), apart from
/// the code under test: what was recorded, not what the coordinator says it recorded.
/// </summary>
public static class Journal
{
    public sealed record Completion(long SequenceNr, string TrialId, double TestAccuracy);

    /// <summary>Every TrialCompleted event of the coordinator, in journal order: one entry per event, duplicates included.</summary>
    public static async Task<List<Completion>> CompletionsAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT sequence_number, message FROM journal WHERE persistence_id = '{SweepCoordinator.Name}' AND manifest = 'TrialCompleted' ORDER BY ordering";
        await using var reader = await command.ExecuteReaderAsync();
        var completions = new List<Completion>();
        while (await reader.ReadAsync())
        {
            using var json = JsonDocument.Parse((byte[])reader.GetValue(1));
            var result = json.RootElement.GetProperty("result");
            completions.Add(new Completion(reader.GetInt64(0), result.GetProperty("config_hash").GetString()!, result.GetProperty("test_accuracy").GetDouble()));
        }
        return completions;
    }

    /// <summary>The TrialCompleted events in the journal of the SQLite file at <paramref name="sqlitePath"/>.</summary>
    public static async Task<List<Completion>> CompletionsAsync(string sqlitePath)
    {
        await using var connection = new SqliteConnection($"Data Source={sqlitePath}");
        await connection.OpenAsync();
        return await CompletionsAsync(connection);
    }
}
