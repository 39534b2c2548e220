using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace SweepCluster.Storage;

/// <summary>The kinds of value a column holds; each dialect names its own SQL type for them.</summary>
enum ColumnType
{
    Text,
    Integer,
    BigInteger,
    Real,
    Timestamp,
}

/// <summary>
/// Everything that differs between SQLite and PostgreSQL for this store: the driver, type names
/// and per-connection setup. The statements themselves (<c>CREATE TABLE IF NOT EXISTS</c>,
/// <c>INSERT ... ON CONFLICT</c>, <c>@name</c> parameters) are written once in the syntax both share.
/// </summary>
sealed class SqlDialect
{
    public static readonly SqlDialect Sqlite = new(
        SqliteFactory.Instance,
        // Per connection: wait for the Akka journal, which writes to the same file, instead of
        // failing at once with SQLITE_BUSY; and enforce foreign keys, which SQLite leaves off.
        connectionSetup: $"PRAGMA busy_timeout = {SqliteBusyTimeoutMilliseconds}; PRAGMA foreign_keys = ON;",
        // WAL lets readers proceed while one writer commits; it is a property of the file, so set once.
        schemaSetup: "PRAGMA journal_mode = WAL;",
        text: "TEXT", integer: "INTEGER", bigInteger: "INTEGER", real: "REAL", timestamp: "TEXT");

    public static readonly SqlDialect PostgreSql = new(
        NpgsqlFactory.Instance,
        connectionSetup: null,
        schemaSetup: null,
        text: "TEXT", integer: "INTEGER", bigInteger: "BIGINT", real: "DOUBLE PRECISION", timestamp: "TIMESTAMPTZ");

    /// <summary>Long enough to outlast a journal write burst; short enough that a stuck writer surfaces as an error.</summary>
    public const int SqliteBusyTimeoutMilliseconds = 30_000;

    readonly DbProviderFactory _factory;
    readonly string? _connectionSetup;
    readonly string[] _typeNames;

    SqlDialect(DbProviderFactory factory, string? connectionSetup, string? schemaSetup,
        string text, string integer, string bigInteger, string real, string timestamp)
    {
        _factory = factory;
        _connectionSetup = connectionSetup;
        SchemaSetup = schemaSetup;
        _typeNames = [text, integer, bigInteger, real, timestamp];
    }

    public static SqlDialect For(DatabaseProvider provider) => provider == DatabaseProvider.Sqlite ? Sqlite : PostgreSql;

    /// <summary>Run once before creating the schema, outside any transaction.</summary>
    public string? SchemaSetup { get; }

    public string TypeName(ColumnType type) => _typeNames[(int)type];

    public async Task<DbConnection> OpenAsync(string connectionString, CancellationToken cancellation)
    {
        var connection = _factory.CreateConnection()!;
        try
        {
            connection.ConnectionString = connectionString;
            await connection.OpenAsync(cancellation);
            if (_connectionSetup is not null)
            {
                await using var setup = connection.CreateCommand();
                setup.CommandText = _connectionSetup;
                await setup.ExecuteNonQueryAsync(cancellation);
            }
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
