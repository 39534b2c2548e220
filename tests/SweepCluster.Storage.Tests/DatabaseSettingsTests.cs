namespace SweepCluster.Storage.Tests;

public sealed class DatabaseSettingsTests
{
    const string Secret = "s3cr3t-Passw0rd";

    public static TheoryData<string, string> ConnectionStringsWithPasswords => new()
    {
        { DatabaseSettings.PostgreSqlName, $"Host=db;Username=sweep;Password={Secret};Database=sweep" },
        { DatabaseSettings.PostgreSqlName, $"host=db;user id=sweep;pwd={Secret};database=sweep" },
        { DatabaseSettings.PostgreSqlName, $"Host=db;Password='{Secret};x';SSL Password={Secret}" },
        { DatabaseSettings.SqliteName, $"Data Source=/tmp/sweep.db;Password={Secret}" },
        { DatabaseSettings.SqliteName, $"filename=/tmp/sweep.db;password={Secret}" },
    };

    [Theory]
    [MemberData(nameof(ConnectionStringsWithPasswords))]
    public void Passwords_never_appear_in_the_redacted_forms(string provider, string connectionString)
    {
        var settings = DatabaseSettings.Create(provider, connectionString);

        Assert.Equal(connectionString, settings.ConnectionString);
        Assert.DoesNotContain(Secret, settings.Redacted);
        Assert.DoesNotContain(Secret, settings.ToString());
        Assert.Contains("***", settings.Redacted);
        Assert.StartsWith(provider + ": ", settings.ToString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_test_databases_connect_with_a_password_that_stays_hidden(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await db.Store.EnsureSchemaAsync();

        Assert.Equal(provider, db.Settings.ProviderName);
        if (db.Settings.Provider == DatabaseProvider.PostgreSql)
        {
            var password = new Npgsql.NpgsqlConnectionStringBuilder(db.Settings.ConnectionString).Password;
            Assert.False(string.IsNullOrEmpty(password));
            Assert.DoesNotContain("Password=" + password, db.Settings.ToString());
            Assert.Contains("Password=***", db.Settings.Redacted);
        }
        else
        {
            Assert.Equal(db.Settings.ConnectionString, db.Settings.Redacted);
        }
    }

    [Theory]
    [InlineData("mysql")]
    [InlineData("")]
    [InlineData(null)]
    public void An_unknown_provider_is_named_with_the_accepted_values(string? provider)
    {
        var error = Assert.Throws<DatabaseSettingsException>(() => DatabaseSettings.Create(provider, "Data Source=x.db"));
        Assert.StartsWith("database.provider: ", error.Message);
        Assert.Contains($"'{provider}'", error.Message);
        Assert.Contains("sqlite, postgresql", error.Message);
    }

    [Theory]
    [InlineData("sqlite", "", "Data Source=")]
    [InlineData("postgresql", "  ", "Host=")]
    [InlineData("postgresql", "Database=sweep", "Host=")]
    [InlineData("sqlite", "Cache=Shared", "Data Source=")]
    public void A_missing_connection_string_or_location_says_what_is_needed(string provider, string connectionString, string needed)
    {
        var error = Assert.Throws<DatabaseSettingsException>(() => DatabaseSettings.Create(provider, connectionString));
        Assert.StartsWith("database.connection_string: ", error.Message);
        Assert.Contains(needed, error.Message);
    }

    [Theory]
    [InlineData("postgresql", $"Host=db;Password={Secret};Colour=blue")]
    [InlineData("sqlite", $"Data Source=x.db;Password={Secret};Colour=blue")]
    [InlineData("postgresql", $"Host=db;Password='{Secret}")]
    public void An_invalid_connection_string_is_refused_without_echoing_it(string provider, string connectionString)
    {
        var error = Assert.Throws<DatabaseSettingsException>(() => DatabaseSettings.Create(provider, connectionString));
        Assert.StartsWith($"database.connection_string: not a valid {provider} connection string", error.Message);
        Assert.DoesNotContain(Secret, error.Message);
    }

    [Fact]
    public void Providers_are_case_insensitive_and_name_their_linq2db_provider()
    {
        var postgres = DatabaseSettings.Create(" PostgreSQL ", "Host=db;Database=sweep");
        Assert.Equal(DatabaseProvider.PostgreSql, postgres.Provider);
        Assert.Equal("postgresql", postgres.ProviderName);
        Assert.Equal("PostgreSQL.15", postgres.Linq2DbProviderName);

        var sqlite = DatabaseSettings.Sqlite("relative/sweep.db");
        Assert.Equal(DatabaseProvider.Sqlite, sqlite.Provider);
        Assert.Equal("SQLite.MS", sqlite.Linq2DbProviderName);
        Assert.Contains(Path.GetFullPath("relative/sweep.db"), sqlite.ConnectionString);
        Assert.Equal(sqlite.ConnectionString, DatabaseSettings.Create("SQLite", sqlite.ConnectionString).ConnectionString);
    }
}
