using System.CommandLine;
using System.Globalization;
using SweepCluster.Analysis;
using SweepCluster.Reports;
using SweepCluster.Storage;

namespace SweepCluster.Cli.Commands;

/// <summary>A sweep's stored trials as read for `sweep results` and `sweep report`, with the metric and bootstrap they summarise with.</summary>
public sealed record StoredSweepRead(SweepObservations Sweep, ResultField Metric, BootstrapOptions Bootstrap, DatabaseSettings Database);

/// <summary>
/// The options of the commands that read a sweep's results from the database, with the cluster
/// gone: the sweep, the database, <c>--where</c> filters, <c>--metric</c> and the bootstrap seed.
/// Every bad value ends in one line naming the option and what it takes, and exit code 2.
/// </summary>
public sealed class StoredSweep
{
    readonly Argument<string> _sweep = new("sweep") { Description = "Sweep id, as `sweep run` or `sweep list` shows it" };
    readonly Option<string> _database = new("--database") { Description = "SQLite file (embedded mode)", DefaultValueFactory = _ => "sweep.db" };
    readonly Option<string?> _provider = new("--database-provider") { Description = "sqlite | postgresql (with --database-connection)" };
    readonly Option<string?> _connection = new("--database-connection") { Description = "Connection string, e.g. of the cluster's PostgreSQL" };
    readonly Option<string[]> _where = new("--where") { Description = "Only trials with FIELD=VALUE (any configuration field: arm=noisy, noise=0.5, ...); repeat to require several" };
    readonly Option<string> _bootstrapSeed = new("--bootstrap-seed") { Description = "Seed of the bootstrap resampling (the same seed gives the same intervals)", DefaultValueFactory = _ => "0" };

    public StoredSweep()
    {
        Metric = new Option<string>("--metric")
        {
            Description = $"Metric to summarise: {string.Join(" | ", ResultFields.All.Where(f => f.Role == FieldRole.Metric))}",
            DefaultValueFactory = _ => ResultFields.TestAccuracy.Name,
        };
    }

    public Option<string> Metric { get; }

    public void AddTo(Command command)
    {
        command.Arguments.Add(_sweep);
        foreach (var option in new Option[] { _database, _provider, _connection, _where, Metric, _bootstrapSeed })
            command.Options.Add(option);
    }

    /// <summary>Reads the sweep; null once an error has been written (bad option, unknown sweep, nothing stored or left after the filters).</summary>
    public async Task<StoredSweepRead?> ReadAsync(ParseResult parse, CancellationToken cancellation)
    {
        DatabaseSettings settings;
        List<ResultFilter> filters;
        ResultField metric;
        BootstrapOptions bootstrap;
        try
        {
            settings = parse.GetValue(_connection) is { } text
                ? DatabaseSettings.Create(parse.GetValue(_provider) ?? "postgresql", text)
                : File.Exists(parse.GetValue(_database)) ? DatabaseSettings.Sqlite(Path.GetFullPath(parse.GetValue(_database)!))
                : throw new DatabaseSettingsException($"--database {parse.GetValue(_database)}: no such file (run a sweep first, or give --database-connection)");
            filters = (parse.GetValue(_where) ?? []).Select(w => Named("--where " + w, () => ResultFilter.Parse(w))).ToList();
            metric = Named("--metric", () => ResultFields.Metric(parse.GetValue(Metric)!));
            bootstrap = new BootstrapOptions { Seed = Named("--bootstrap-seed", () => Integer(parse.GetValue(_bootstrapSeed)!)) };
        }
        catch (Exception e) when (e is DatabaseSettingsException or ResultFieldException)
        {
            return Fail(e.Message);
        }

        var id = parse.GetValue(_sweep)!;
        SweepObservations sweep;
        try
        {
            sweep = await SweepObservations.LoadAsync(new ResultsStore(settings), id, filters, cancellation);
        }
        catch (SweepNotFoundException e)
        {
            return Fail($"{e.Message} ({settings})");
        }
        if (sweep.StoredTrials == 0)
            return Fail($"sweep '{id}' has no results yet: none of its {sweep.ListedTrials} trials has completed");
        if (sweep.Trials.Count == 0)
            return Fail($"no trial of sweep '{id}' has {string.Join(" and ", filters)} ({sweep.StoredTrials} trials have results)");
        return new StoredSweepRead(sweep, metric, bootstrap, settings);
    }

    /// <summary>Runs <paramref name="read"/>, prefixing a field error with the option it came from.</summary>
    public static T Named<T>(string option, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (ResultFieldException e)
        {
            throw new ResultFieldException($"{option}: {e.Message}");
        }
    }

    static int Integer(string text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
        ? value
        : throw new ResultFieldException($"takes an integer, not '{text}'");

    /// <summary>A positive number given as text (invariant culture), for options in the metric's units.</summary>
    public static double Positive(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value)
            ? value
            : throw new ResultFieldException($"takes a positive number, not '{text}'");

    static StoredSweepRead? Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return null;
    }
}
