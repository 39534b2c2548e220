using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace SweepCluster.Storage;

public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// Where results (and, later, the Akka journal) live: a provider and its connection string,
/// checked when created. The connection string may hold a password, so <see cref="ToString"/>
/// and <see cref="Redacted"/> are the only forms meant for logs and error messages.
/// </summary>
public sealed class DatabaseSettings
{
    public const string ProviderSetting = "database.provider";
    public const string ConnectionStringSetting = "database.connection_string";
    public const string SqliteName = "sqlite";
    public const string PostgreSqlName = "postgresql";
    public static readonly IReadOnlyList<string> ProviderNames = [SqliteName, PostgreSqlName];

    /// <summary>linq2db's <c>ProviderName.SQLiteMS</c>: SQLite through Microsoft.Data.Sqlite, the driver used here.</summary>
    public const string Linq2DbSqlite = "SQLite.MS";
    /// <summary>linq2db's <c>ProviderName.PostgreSQL15</c>, the dialect of Debian 12's server and newer.</summary>
    public const string Linq2DbPostgreSql = "PostgreSQL.15";

    const string PasswordMask = "***";

    DatabaseSettings(DatabaseProvider provider, string connectionString, string redacted)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Redacted = redacted;
    }

    public DatabaseProvider Provider { get; }

    /// <summary>Holds the password, if any: never log it; log <see cref="Redacted"/>.</summary>
    public string ConnectionString { get; }

    /// <summary>The connection string with every password replaced by <c>***</c>.</summary>
    public string Redacted { get; }

    public string ProviderName => Provider == DatabaseProvider.Sqlite ? SqliteName : PostgreSqlName;

    /// <summary>The provider name Akka.Persistence.Sql (linq2db) expects for this database.</summary>
    public string Linq2DbProviderName => Provider == DatabaseProvider.Sqlite ? Linq2DbSqlite : Linq2DbPostgreSql;

    /// <summary>
    /// Checks a provider name (<c>sqlite</c> or <c>postgresql</c>, any case) and a connection
    /// string for it. Throws <see cref="DatabaseSettingsException"/> naming the setting at fault;
    /// messages never repeat the connection string, which may hold a password.
    /// </summary>
    public static DatabaseSettings Create(string? provider, string? connectionString)
    {
        var normalised = provider?.Trim().ToLowerInvariant();
        var parsedProvider = normalised switch
        {
            SqliteName => DatabaseProvider.Sqlite,
            PostgreSqlName => DatabaseProvider.PostgreSql,
            _ => throw new DatabaseSettingsException(
                $"{ProviderSetting}: '{provider}' is not one of {string.Join(", ", ProviderNames)}"),
        };
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new DatabaseSettingsException(parsedProvider == DatabaseProvider.Sqlite
                ? $"{ConnectionStringSetting}: empty; {SqliteName} needs one such as 'Data Source=/path/to/sweep.db'"
                : $"{ConnectionStringSetting}: empty; {PostgreSqlName} needs one such as 'Host=HOST;Port=5432;Username=USER;Password=PASSWORD;Database=DB'");
        return parsedProvider == DatabaseProvider.Sqlite ? ForSqlite(connectionString) : ForPostgreSql(connectionString);
    }

    /// <summary>A SQLite database in one file, created on first use.</summary>
    public static DatabaseSettings Sqlite(string filePath)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(filePath),
            Mode = SqliteOpenMode.ReadWriteCreate,
        };
        return ForSqlite(builder.ConnectionString);
    }

    public static DatabaseSettings PostgreSql(string connectionString) => Create(PostgreSqlName, connectionString);

    public override string ToString() => $"{ProviderName}: {Redacted}";

    static DatabaseSettings ForSqlite(string connectionString)
    {
        var builder = Parse(() => new SqliteConnectionStringBuilder(connectionString), SqliteName);
        if (string.IsNullOrWhiteSpace(builder.DataSource))
            throw new DatabaseSettingsException($"{ConnectionStringSetting}: {SqliteName} needs 'Data Source=FILE'");
        if (!string.IsNullOrEmpty(builder.Password)) builder.Password = PasswordMask;
        return new DatabaseSettings(DatabaseProvider.Sqlite, connectionString, builder.ConnectionString);
    }

    static DatabaseSettings ForPostgreSql(string connectionString)
    {
        var builder = Parse(() => new NpgsqlConnectionStringBuilder(connectionString), PostgreSqlName);
        if (string.IsNullOrWhiteSpace(builder.Host))
            throw new DatabaseSettingsException($"{ConnectionStringSetting}: {PostgreSqlName} needs 'Host=...'");
        if (!string.IsNullOrEmpty(builder.Password)) builder.Password = PasswordMask;
        if (!string.IsNullOrEmpty(builder.SslPassword)) builder.SslPassword = PasswordMask;
        return new DatabaseSettings(DatabaseProvider.PostgreSql, connectionString, builder.ConnectionString);
    }

    /// <summary>
    /// The drivers' own parsers decide what is valid. Their messages name the keyword or the
    /// position at fault, never a value, so they can be passed on without leaking a password.
    /// </summary>
    static T Parse<T>(Func<T> parse, string providerName) where T : DbConnectionStringBuilder
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw new DatabaseSettingsException($"{ConnectionStringSetting}: not a valid {providerName} connection string: {e.Message}");
        }
    }
}

/// <summary>An invalid database setting; the message names the setting and what it accepts.</summary>
public sealed class DatabaseSettingsException(string message) : Exception(message);
