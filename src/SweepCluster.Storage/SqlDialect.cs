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
        // The first write of the schema transaction takes SQLite's one write lock anyway.
        schemaLock: null,
        text: "TEXT", integer: "INTEGER", bigInteger: "INTEGER", real: "REAL", timestamp: "TEXT");

    public static readonly SqlDialect PostgreSql = new(
        NpgsqlFactory.Instance,
        connectionSetup: null,
        schemaSetup: null,
        // Nodes starting together each create the schema; PostgreSQL's CREATE TABLE IF NOT EXISTS
        // is not safe against itself (two can race to a unique violation in pg_type), so the
        // creating transactions take turns on an advisory lock, released at commit.
        schemaLock: $"SELECT pg_advisory_xact_lock({SchemaLockKey})",
        text: "TEXT", integer: "INTEGER", bigInteger: "BIGINT", real: "DOUBLE PRECISION", timestamp: "TIMESTAMPTZ");

    /// <summary>Long enough to outlast a journal write burst; short enough that a stuck writer surfaces as an error.</summary>
    public const int SqliteBusyTimeoutMilliseconds = 30_000;

    // Any constant will do, as long as nothing else on the server uses it: "SWEEPCLU" in ASCII.
    const long SchemaLockKey = 0x5357_4545_5043_4C55;

    readonly DbProviderFactory _factory;
    readonly string? _connectionSetup;
    readonly string[] _typeNames;

    SqlDialect(DbProviderFactory factory, string? connectionSetup, string? schemaSetup, string? schemaLock,
        string text, string integer, string bigInteger, string real, string timestamp)
    {
        _factory = factory;
        _connectionSetup = connectionSetup;
        SchemaSetup = schemaSetup;
        SchemaLock = schemaLock;
        _typeNames = [text, integer, bigInteger, real, timestamp];
    }

    public static SqlDialect For(DatabaseProvider provider) => provider == DatabaseProvider.Sqlite ? Sqlite : PostgreSql;

    /// <summary>Run once before creating the schema, outside any transaction.</summary>
    public string? SchemaSetup { get; }

    /// <summary>Run first inside the schema transaction, so concurrent creators wait for each other.</summary>
    public string? SchemaLock { get; }

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
