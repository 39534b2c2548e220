using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace SweepCluster.Storage.Tests;

/// <summary>
/// A real, empty database of either provider for one test: a SQLite file in a fresh temp folder,
/// or a fresh schema <c>t_GUID</c> on the test PostgreSQL (found through its search path), so
/// concurrent test runs never see each other's tables. Disposing deletes it.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "SWEEP_TEST_POSTGRES";
    public const string DefaultPostgres = "Host=127.0.0.1;Port=5432;Username=sweep;Password=sweep-test-pw-7f3a9c;Database=sweep_test";

    /// <summary>Every provider, for theories that check one behaviour on both.</summary>
    public static TheoryData<string> Providers => new(DatabaseSettings.SqliteName, DatabaseSettings.PostgreSqlName);

    readonly Func<Task> _delete;

    TestDatabase(DatabaseSettings settings, Func<Task> delete)
    {
        Settings = settings;
        Store = new ResultsStore(settings);
        _delete = delete;
    }

    public DatabaseSettings Settings { get; }
    public ResultsStore Store { get; }

    public static Task<TestDatabase> CreateAsync(string provider) => provider switch
    {
        DatabaseSettings.SqliteName => Task.FromResult(CreateSqlite()),
        DatabaseSettings.PostgreSqlName => CreatePostgresAsync(Environment.GetEnvironmentVariable(PostgresVariable) ?? DefaultPostgres),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "unknown provider"),
    };

    /// <summary>
    /// Fails, rather than skips, when the server is unreachable: a green run must mean PostgreSQL
    /// was tested. The message says how to get one.
    /// </summary>
    public static async Task<TestDatabase> CreatePostgresAsync(string connectionString)
    {
        var schema = "t_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            try
            {
                await connection.OpenAsync();
            }
            catch (NpgsqlException e)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL for the storage tests is unreachable at {DatabaseSettings.PostgreSql(connectionString).Redacted}: {e.Message}\n" +
                    $"Run `bash .ci/postgres.sh` as root to install and start it, or set {PostgresVariable} to the connection string of a reachable server.", e);
            }
            await Execute(connection, $"CREATE SCHEMA {schema}");
        }
        var settings = DatabaseSettings.PostgreSql(new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema }.ConnectionString);
        return new TestDatabase(settings, async () =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await Execute(connection, $"DROP SCHEMA {schema} CASCADE");
        });
    }

    static TestDatabase CreateSqlite()
    {
        var folder = Directory.CreateTempSubdirectory("sweepcluster-storage-test-").FullName;
        return new TestDatabase(DatabaseSettings.Sqlite(Path.Combine(folder, "sweep.db")), () =>
        {
            // Pooled connections keep the file (and its WAL files) open until cleared.
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
            return Task.CompletedTask;
        });
    }

    /// <summary>A connection outside the store, for checks its API does not offer (raw SQL, competing locks).</summary>
    public async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = Settings.Provider == DatabaseProvider.Sqlite
            ? new SqliteConnection(Settings.ConnectionString)
            : new NpgsqlConnection(Settings.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<long> CountAsync(string table) => Convert.ToInt64(await ScalarAsync($"SELECT COUNT(*) FROM {table}"));

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync() => await _delete();

    static async Task Execute(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
