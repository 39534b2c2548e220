using Microsoft.Data.Sqlite;
using Npgsql;
using SweepCluster.Storage;

namespace SweepCluster.Cli.Benchmarks;

/// <summary>
/// An empty database for one benchmark: a SQLite file in a fresh temp folder, or a fresh schema
/// on a PostgreSQL server (found through the search path, as the tests do), so a benchmark never
/// measures, or leaves behind, anybody else's tables. Disposing deletes it.
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    /// <summary>The server `.ci/postgres.sh` sets up; <c>--postgres</c> names another.</summary>
    public const string DefaultPostgres = "Host=127.0.0.1;Port=5432;Username=sweep;Password=sweep-test-pw-7f3a9c;Database=sweep_test";

    readonly Func<Task> _delete;

    BenchDatabase(DatabaseSettings settings, Func<Task> delete)
    {
        Settings = settings;
        _delete = delete;
    }

    public DatabaseSettings Settings { get; }

    public static async Task<BenchDatabase> CreateAsync(string provider, string postgres)
    {
        if (provider == DatabaseSettings.SqliteName)
        {
            var folder = Directory.CreateTempSubdirectory("sweepcluster-bench-").FullName;
            return new BenchDatabase(DatabaseSettings.Sqlite(Path.Combine(folder, "bench.db")), () =>
            {
                SqliteConnection.ClearAllPools();
                Directory.Delete(folder, recursive: true);
                return Task.CompletedTask;
            });
        }
        if (provider != DatabaseSettings.PostgreSqlName)
            throw new ArgumentException($"--database: '{provider}' is not {DatabaseSettings.SqliteName} or {DatabaseSettings.PostgreSqlName}");
        var schema = "bench_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(postgres, $"CREATE SCHEMA {schema}");
        var settings = DatabaseSettings.PostgreSql(new NpgsqlConnectionStringBuilder(postgres) { SearchPath = schema }.ConnectionString);
        return new BenchDatabase(settings, () =>
        {
            NpgsqlConnection.ClearAllPools();
            return ExecuteAsync(postgres, $"DROP SCHEMA {schema} CASCADE");
        });
    }

    static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync();
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is unreachable at {DatabaseSettings.PostgreSql(connectionString).Redacted}: {e.Message}; run `bash .ci/postgres.sh` as root, or pass --postgres", e);
        }
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync() => await _delete();
}
