using System.Text.RegularExpressions;
using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps;

/// <summary>
/// Turns a <see cref="YamlNode"/> tree into a <see cref="SweepSpec"/>, collecting every error
/// rather than stopping at the first. Range rules of single trials are not repeated here: each
/// value is tried in a <see cref="TrialConfig"/> and <see cref="TrialConfig.Normalise"/>'s
/// errors are reported at the value's position in the spec.
/// </summary>
internal sealed partial class SpecReader(List<SpecError> errors, SpecOptions options)
{
    const string Root = "(spec)";
    const int MaxSeedCount = 1_000_000;
    const int MaxSampleCount = 1_000_000;

    static readonly string[] TopFields = ["name", "kind", "sleep_ms", "dataset", "model", "arms", "epochs", "grid", "sample", "seeds", "max_trials", "equivalence_margin"];
    static readonly string[] DatasetFields = ["name", "path", "train_limit", "validation_fraction", "image_size", "channels", "group_file"];
    static readonly string[] ModelFields = ["conv1", "conv2", "dense", "kernel"];
    static readonly string[] EpochFields = ["pretrain", "finetune"];
    static readonly string[] AdaptiveSeedFields = ["min", "max", "batch", "target_halfwidth", "metric"];
    static readonly ValueSyntax<Arm> ArmSyntax = ValueSyntax.Name<Arm>();

    // Where each base setting was given, by the name TrialConfig.Normalise uses in its errors.
    readonly Dictionary<string, (string Field, SourcePosition Position)> _configFields = new();
    // Which spec field set each hyperparameter: one may be given in one place only.
    readonly Dictionary<Hyperparameter, (string Field, SourcePosition Position)> _givenAt = new();
    readonly HashSet<SpecError> _reported = new();

    // The spec as far as it has been read: grid and sample values are tried against its base configurations.
    SweepSpec _spec = null!;
    bool _armsKnown;

    /// <summary>The spec, or null when a required part could not be read (errors hold why).</summary>
    public SweepSpec? Read(YamlNode root)
    {
        var fields = Fields(root, Root, TopFields);
        if (fields is null) return null;

        var name = Required(fields, "name", root) is { } nameEntry ? Name(nameEntry) : null;
        var arms = Required(fields, "arms", root) is { } armsEntry ? Arms(armsEntry.Value) : null;
        var seeds = Required(fields, "seeds", root) is { } seedsEntry ? Seeds(seedsEntry.Value) : null;
        _armsKnown = arms is not null;
        _spec = new SweepSpec
        {
            Name = name ?? "",
            Arms = arms ?? Enum.GetValues<Arm>(),
            Seeds = seeds ?? new FixedSeeds([1]),
            Dataset = fields.TryGetValue("dataset", out var dataset) ? Dataset(dataset.Value) : new DatasetConfig(),
            Model = fields.TryGetValue("model", out var model) ? Model(model.Value) : new ModelConfig(),
            Kind = fields.TryGetValue("kind", out var kind) ? Kind(kind) : TrialKind.Train,
            SleepMs = fields.TryGetValue("sleep_ms", out var sleep) ? SleepMs(sleep) : 0,
            MaxTrials = fields.TryGetValue("max_trials", out var maxTrials)
                ? Integer(maxTrials.Value, "max_trials", 1, (int)Math.Min(options.MaxTrials, int.MaxValue),
                    "a spec may lower the reader's limit, not raise it: SWEEP_MAX_TRIALS on a node, --max-trials for validate") ?? options.MaxTrials
                : options.MaxTrials,
            EquivalenceMargin = fields.TryGetValue("equivalence_margin", out var margin) ? EquivalenceMargin(margin) : null,
        };
        if (fields.TryGetValue("epochs", out var epochs)) _spec = Epochs(epochs.Value, _spec);
        CheckBaseConfigs();
        if (fields.TryGetValue("grid", out var grid)) _spec = _spec with { Grid = Grid(grid.Value) };
        if (fields.TryGetValue("sample", out var sample)) _spec = _spec with { Sample = Sample(sample.Value) };
        if (name is null || arms is null || seeds is null) return null;

        CheckTrialLimit(fields);
        return _spec;
    }

    // ---- sections ----

    int SleepMs(YamlEntry entry)
    {
        _configFields["sleep_ms"] = ("sleep_ms", entry.Value.Position);
        return Integer(entry.Value, "sleep_ms", 0) ?? 0;
    }

    double? EquivalenceMargin(YamlEntry entry)
    {
        if (!TryValue(entry.Value, "equivalence_margin", ValueSyntax.Real, out var margin)) return null;
        if (margin is > 0 and < 1) return margin;
        Error("equivalence_margin", entry.Value.Position, $"{margin} is outside (0, 1); it is a difference of accuracies (0.005: half a point)");
        return null;
    }

    TrialKind Kind(YamlEntry entry)
    {
        var text = Text(entry.Value, "kind");
        switch (text)
        {
            case "train":
                return TrialKind.Train;
            case "sleep":
                return TrialKind.Sleep;
            case not null:
                Error("kind", entry.Value.Position, $"unknown kind '{text}'; expected one of train, sleep");
                break;
        }
        return TrialKind.Train;
    }

    string? Name(YamlEntry entry)
    {
        if (Text(entry.Value, "name") is not { } name) return null;
        if (NamePattern().IsMatch(name)) return name;
        Error("name", entry.Value.Position,
            $"'{name}' is not a valid sweep name; use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit");
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex NamePattern();

    IReadOnlyList<Arm>? Arms(YamlNode node)
    {
        if (Items(node, "arms") is not { } items) return null;
        var arms = new List<Arm>();
        foreach (var (item, path) in items)
            if (TryValue(item, path, ArmSyntax, out var arm)) arms.Add(arm);
        return arms.Count == items.Count ? arms : null;
    }

    DatasetConfig Dataset(YamlNode node)
    {
        var dataset = new DatasetConfig();
        if (Fields(node, "dataset", DatasetFields) is not { } fields) return dataset;
        _configFields["dataset"] = ("dataset", node.Position);
        foreach (var (key, entry) in fields)
        {
            var path = $"dataset.{key}";
            _configFields[path] = (path, entry.Value.Position);
            dataset = key switch
            {
                "name" => Text(entry.Value, path) is { } name ? dataset with { Name = name == DatasetConfig.Auto ? options.AutoDataset : name } : dataset,
                "path" => Text(entry.Value, path) is { } folder ? dataset with { Path = DataPath(folder, path, entry.Value.Position) } : dataset,
                "group_file" => Text(entry.Value, path) is { } file ? dataset with { GroupFile = DataPath(file, path, entry.Value.Position) } : dataset,
                "train_limit" => TryValue(entry.Value, path, ValueSyntax.Integer, out var limit) ? dataset with { TrainLimit = limit } : dataset,
                "validation_fraction" => TryValue(entry.Value, path, ValueSyntax.Real, out var fraction) ? dataset with { ValidationFraction = fraction } : dataset,
                "image_size" => TryValue(entry.Value, path, ValueSyntax.Integer, out var size) ? dataset with { ImageSize = size } : dataset,
                "channels" => TryValue(entry.Value, path, ValueSyntax.Integer, out var channels) ? dataset with { Channels = channels } : dataset,
                _ => throw new InvalidOperationException($"dataset field {key} has no reader"),
            };
        }
        return dataset;
    }

    /// <summary>
    /// A dataset path made absolute against the reader's base folder, so a trial's id names the
    /// data it reads, whatever folder a worker runs in; refused outside the data roots.
    /// </summary>
    string DataPath(string value, string field, SourcePosition position)
    {
        var resolved = options.BaseDirectory is null || Path.IsPathRooted(value) ? value : Path.GetFullPath(value, options.BaseDirectory);
        if (options.DataRoots is { } roots && !roots.Contains(resolved))
            Error(field, position,
                $"'{value}' lies outside the data roots ({roots}); a spec may name data only under them (SWEEP_DATA_ROOTS on a node, --data-root for run and validate)");
        return resolved;
    }

    ModelConfig Model(YamlNode node)
    {
        var model = new ModelConfig();
        if (Fields(node, "model", ModelFields) is not { } fields) return model;
        _configFields["model"] = ("model", node.Position);
        foreach (var (key, entry) in fields)
        {
            var path = $"model.{key}";
            if (!TryValue(entry.Value, path, ValueSyntax.Integer, out var value)) continue;
            _configFields[path] = (path, entry.Value.Position);
            if (Hyperparameters.Find(key) is { } parameter) Claim(parameter, path, entry.Key.Position);
            model = key switch
            {
                "conv1" => model with { Conv1 = value },
                "conv2" => model with { Conv2 = value },
                "dense" => model with { Dense = value },
                "kernel" => model with { Kernel = value },
                _ => throw new InvalidOperationException($"model field {key} has no reader"),
            };
        }
        return model;
    }

    /// <summary><c>epochs: N</c> sets both phases; <c>epochs: {pretrain: N, finetune: M}</c> each.</summary>
    SweepSpec Epochs(YamlNode node, SweepSpec spec)
    {
        if (node is YamlScalar)
        {
            if (!TryValue(node, "epochs", ValueSyntax.Integer, out var both)) return spec;
            Claim(Hyperparameters.PretrainEpochs, "epochs", node.Position);
            Claim(Hyperparameters.FinetuneEpochs, "epochs", node.Position);
            _configFields["pretrain_epochs"] = _configFields["finetune_epochs"] = ("epochs", node.Position);
            return spec with { PretrainEpochs = both, FinetuneEpochs = both };
        }
        if (Fields(node, "epochs", EpochFields, "a number of epochs for both phases or ") is not { } fields) return spec;
        foreach (var (key, entry) in fields)
        {
            var path = $"epochs.{key}";
            if (!TryValue(entry.Value, path, ValueSyntax.Integer, out var value)) continue;
            var parameter = key == "pretrain" ? Hyperparameters.PretrainEpochs : Hyperparameters.FinetuneEpochs;
            Claim(parameter, path, entry.Key.Position);
            _configFields[parameter.ConfigField] = (path, entry.Value.Position);
            spec = key == "pretrain" ? spec with { PretrainEpochs = value } : spec with { FinetuneEpochs = value };
        }
        return spec;
    }

    IReadOnlyList<GridAxis> Grid(YamlNode node)
    {
        var names = Hyperparameters.All.Select(p => p.Name).ToArray();
        if (Fields(node, "grid", names) is not { } fields) return [];
        var axes = new List<GridAxis>();
        foreach (var (key, entry) in fields)
        {
            var parameter = Hyperparameters.Find(key)!;
            var path = $"grid.{key}";
            Claim(parameter, path, entry.Key.Position);
            CheckSomeArmUses(parameter, path, entry.Key.Position);
            if (parameter.ReadAxis(this, entry.Value, path) is { } axis) axes.Add(axis);
        }
        // A fixed crossing order, whatever the order in the file: reordering keys must not reorder trials.
        return axes.OrderBy(a => IndexOf(a.Parameter)).ToList();
    }

    internal GridAxis? Axis<T>(Hyperparameter<T> parameter, YamlNode node, string path) where T : notnull
    {
        if (Values(parameter, node, path) is not { } values) return null;
        return new GridAxis<T>(parameter, values);
    }

    SampleSpec? Sample(YamlNode node)
    {
        string[] allowed = ["count", "seed", .. Hyperparameters.All.Select(p => p.Name)];
        if (Fields(node, "sample", allowed) is not { } fields) return null;
        var count = Required(fields, "count", node, "sample.count") is { } countEntry
            ? Integer(countEntry.Value, "sample.count", 1, MaxSampleCount)
            : null;
        var seed = Required(fields, "seed", node, "sample.seed") is { } seedEntry
            ? Integer(seedEntry.Value, "sample.seed", 0)
            : null;
        var parameters = new List<SampledParameter>();
        var complete = true;
        foreach (var (key, entry) in fields.Where(f => f.Key is not ("count" or "seed")))
        {
            var parameter = Hyperparameters.Find(key)!;
            var path = $"sample.{key}";
            Claim(parameter, path, entry.Key.Position);
            CheckSomeArmUses(parameter, path, entry.Key.Position);
            if (parameter.ReadSampled(this, entry.Value, path) is { } sampled) parameters.Add(sampled);
            else complete = false;
        }
        if (complete && parameters.Count == 0)
            Error("sample", node.Position, "sample draws nothing; add a hyperparameter, e.g. learning_rate: {log_uniform: [1e-5, 1e-3]}");
        if (count is null || seed is null || !complete || parameters.Count == 0) return null;
        // Same reason as the grid: the file's key order must not change what is drawn or in which order.
        return new SampleSpec(count.Value, seed.Value, parameters.OrderBy(p => IndexOf(p.Parameter)).ToList());
    }

    internal SampledParameter? Sampled<T>(Hyperparameter<T> parameter, YamlNode node, string path) where T : notnull
    {
        var kinds = parameter.Syntax.Ranges.Keys.Prepend("choice").ToList();
        var expected = $"one distribution: {string.Join(", ", kinds.Select(k => $"{{{k}: [...]}}"))}";
        if (node is not YamlMapping { Entries: [var entry] })
        {
            Error(path, node.Position, $"expected {expected}, got {node.Describe()}");
            return null;
        }
        var kind = entry.Key.Value;
        var kindPath = $"{path}.{kind}";
        if (kind == "choice")
            return Values(parameter, entry.Value, kindPath) is { } choices
                ? new SampledParameter<T>(parameter, new ChoiceDistribution<T>(choices))
                : null;
        if (!parameter.Syntax.Ranges.TryGetValue(kind, out var range))
        {
            Error(kindPath, entry.Key.Position, $"unknown distribution '{kind}' for {parameter.Name}; expected one of {string.Join(", ", kinds)}");
            return null;
        }
        if (entry.Value is not YamlSequence { Items: [var low, var high] } bounds)
        {
            Error(kindPath, entry.Value.Position, $"expected [min, max], got {entry.Value.Describe()}");
            return null;
        }
        var lowRead = TryValue(low, $"{kindPath}[0]", parameter.Syntax, out var min) && TryInTrial(parameter, min, $"{kindPath}[0]", low.Position);
        var highRead = TryValue(high, $"{kindPath}[1]", parameter.Syntax, out var max) && TryInTrial(parameter, max, $"{kindPath}[1]", high.Position);
        if (!lowRead || !highRead) return null;
        try
        {
            return new SampledParameter<T>(parameter, range(min, max));
        }
        catch (ArgumentException e)
        {
            Error(kindPath, bounds.Position, e.Message);
            return null;
        }
    }

    /// <summary><c>seeds: N</c> (1..N), <c>seeds: [a, b, ...]</c>, or an adaptive budget <c>{min, max, batch, target_halfwidth, metric}</c>.</summary>
    SeedPolicy? Seeds(YamlNode node)
    {
        switch (node)
        {
            case YamlScalar:
                return Integer(node, "seeds", 1, MaxSeedCount, "a sweep needs at least 1 seed") is { } count
                    ? new FixedSeeds(Enumerable.Range(1, count).ToList())
                    : null;
            case YamlSequence:
                if (Items(node, "seeds") is not { } items) return null;
                var seeds = items.Select(i => Integer(i.Node, i.Path, 0)).ToList();
                return seeds.All(s => s is not null) ? new FixedSeeds(seeds.Select(s => s!.Value).ToList()) : null;
            default:
                return AdaptiveSeeds(node);
        }
    }

    AdaptiveSeeds? AdaptiveSeeds(YamlNode node)
    {
        if (Fields(node, "seeds", AdaptiveSeedFields, "a seed count, a list of seeds or ") is not { } fields) return null;
        var min = Required(fields, "min", node, "seeds.min") is { } minEntry
            ? Integer(minEntry.Value, "seeds.min", 2, MaxSeedCount, "a confidence interval needs at least 2 seeds")
            : null;
        var max = Required(fields, "max", node, "seeds.max") is { } maxEntry
            ? Integer(maxEntry.Value, "seeds.max", min ?? 2, MaxSeedCount, "max must be at least min")
            : null;
        var batch = fields.TryGetValue("batch", out var batchEntry)
            ? Integer(batchEntry.Value, "seeds.batch", 1, MaxSeedCount)
            : Sweeps.AdaptiveSeeds.DefaultBatch;
        double? halfwidth = null;
        if (Required(fields, "target_halfwidth", node, "seeds.target_halfwidth") is { } halfwidthEntry
            && TryValue(halfwidthEntry.Value, "seeds.target_halfwidth", ValueSyntax.Real, out var value))
        {
            if (value is > 0 and < 1) halfwidth = value;
            else Error("seeds.target_halfwidth", halfwidthEntry.Value.Position, $"{value} is outside (0, 1); it is a half-width of an accuracy");
        }
        var metric = Sweeps.AdaptiveSeeds.DefaultMetric;
        if (fields.TryGetValue("metric", out var metricEntry))
        {
            metric = Text(metricEntry.Value, "seeds.metric");
            if (metric is not null && !Sweeps.AdaptiveSeeds.Metrics.Contains(metric))
            {
                Error("seeds.metric", metricEntry.Value.Position,
                    $"unknown metric '{metric}'; expected one of {string.Join(", ", Sweeps.AdaptiveSeeds.Metrics)}");
                metric = null;
            }
        }
        return min is null || max is null || batch is null || halfwidth is null || metric is null
            ? null
            : new AdaptiveSeeds(min.Value, max.Value, batch.Value, halfwidth.Value, metric);
    }

    // ---- checks against the trial configuration ----

    /// <summary>Each arm's base configuration through <see cref="TrialConfig.Normalise"/>: dataset, model and epoch errors.</summary>
    void CheckBaseConfigs()
    {
        foreach (var arm in _spec.Arms.Distinct())
        {
            try
            {
                _spec.BaseConfig(arm).Normalise();
            }
            catch (ConfigException e)
            {
                foreach (var message in e.Errors)
                {
                    var (field, position) = Locate(ConfigFieldOf(message));
                    Error(field, position, message);
                }
            }
        }
    }

    /// <summary>Where a base setting named in a <see cref="ConfigException"/> was given: the field itself, else its section, else the top.</summary>
    (string Field, SourcePosition Position) Locate(string configField)
    {
        // Normalise names some errors after two fields ("dataset.image_size / dataset.channels").
        foreach (var candidate in configField.Split(" / "))
        {
            if (_configFields.TryGetValue(candidate, out var place)) return place;
            var section = candidate.Split('.')[0];
            if (_configFields.TryGetValue(section, out place)) return place;
        }
        return (configField, new SourcePosition(1, 1));
    }

    /// <summary>
    /// Tries <paramref name="value"/> in the base configuration of every arm that uses the
    /// parameter and reports the errors Normalise gives for that field at the value's position.
    /// </summary>
    bool TryInTrial<T>(Hyperparameter<T> parameter, T value, string path, SourcePosition position) where T : notnull
    {
        var valid = true;
        foreach (var arm in _spec.Arms.Distinct().Where(parameter.AppliesTo))
        {
            try
            {
                parameter.Apply(_spec.BaseConfig(arm), value).Normalise();
            }
            catch (ConfigException e)
            {
                foreach (var message in e.Errors.Where(m => ConfigFieldOf(m) == parameter.ConfigField))
                {
                    Error(path, position, message);
                    valid = false;
                }
            }
        }
        return valid;
    }

    // ConfigException messages start with the field they are about: "learning_rate: -1 must be in (0, 10]".
    static string ConfigFieldOf(string message) => message[..Math.Max(0, message.IndexOf(": ", StringComparison.Ordinal))];

    void Claim(Hyperparameter parameter, string path, SourcePosition position)
    {
        if (_givenAt.TryGetValue(parameter, out var first))
            Error(path, position, $"{parameter.Name} is already given by {first.Field} at {first.Position}; give it in one place");
        else
            _givenAt[parameter] = (path, position);
    }

    void CheckSomeArmUses(Hyperparameter parameter, string path, SourcePosition position)
    {
        if (!_armsKnown || _spec.Arms.Any(parameter.AppliesTo)) return;
        var users = Enum.GetValues<Arm>().Where(parameter.AppliesTo).Select(TrialConfig.Format);
        Error(path, position,
            $"{parameter.Name} applies only to arm {string.Join(" or ", users)}, which arms does not include (arms: {string.Join(", ", _spec.Arms.Select(TrialConfig.Format))})");
    }

    void CheckTrialLimit(Dictionary<string, YamlEntry> fields)
    {
        var count = SweepExpansion.CountUpperBound(_spec);
        if (count <= _spec.MaxTrials) return;
        var (field, position) = fields.TryGetValue("grid", out var grid) ? ("grid", grid.Key.Position)
            : fields.TryGetValue("sample", out var sample) ? ("sample", sample.Key.Position)
            : ("seeds", fields["seeds"].Key.Position);
        var seeds = _spec.Seeds is AdaptiveSeeds adaptive ? $" with up to {adaptive.Max} seeds per cell" : "";
        Error(field, position,
            $"the sweep expands to {count:N0} trials{seeds} (counted before removing duplicates), over the limit of {_spec.MaxTrials:N0}; shrink the grid, sample or seeds, or raise max_trials (up to {options.MaxTrials:N0})");
    }

    // ---- values ----

    /// <summary>A scalar or a non-empty list of values of the parameter, each tried in a trial.</summary>
    IReadOnlyList<T>? Values<T>(Hyperparameter<T> parameter, YamlNode node, string path) where T : notnull
    {
        if (Items(node, path) is not { } items) return null;
        var values = new List<T>();
        var valid = true;
        foreach (var (item, itemPath) in items)
        {
            if (TryValue(item, itemPath, parameter.Syntax, out var value) && TryInTrial(parameter, value, itemPath, item.Position))
                values.Add(value);
            else
                valid = false;
        }
        return valid ? values : null;
    }

    /// <summary>A scalar as a one-item list, or a list's items with their paths (<c>grid.noise[2]</c>).</summary>
    IReadOnlyList<(YamlNode Node, string Path)>? Items(YamlNode node, string path)
    {
        switch (node)
        {
            case YamlSequence { Items.Count: 0 }:
                Error(path, node.Position, "the list is empty; give at least one value");
                return null;
            case YamlSequence sequence:
                return sequence.Items.Select((item, i) => (item, $"{path}[{i}]")).ToList();
            case YamlScalar:
                return [(node, path)];
            default:
                Error(path, node.Position, $"expected a value or a list of values, got {node.Describe()}");
                return null;
        }
    }

    bool TryValue<T>(YamlNode node, string path, ValueSyntax<T> syntax, out T value) where T : notnull
    {
        if (node is YamlScalar { IsNull: false } scalar && syntax.TryParse(scalar, out value)) return true;
        Error(path, node.Position, $"expected {syntax.Expected}, got {node.Describe()}");
        value = default!;
        return false;
    }

    int? Integer(YamlNode node, string path, int min, int max = int.MaxValue, string? why = null)
    {
        if (!TryValue(node, path, ValueSyntax.Integer, out var value)) return null;
        if (value >= min && value <= max) return value;
        var range = max == int.MaxValue ? $"must be at least {min}" : $"is outside {min}..{max}";
        Error(path, node.Position, $"{value} {range}{(why is null ? "" : $" ({why})")}");
        return null;
    }

    string? Text(YamlNode node, string path)
    {
        if (node is YamlScalar { IsNull: false } scalar) return scalar.Value;
        Error(path, node.Position, $"expected a string, got {node.Describe()}");
        return null;
    }

    // ---- mappings ----

    /// <summary>The entries of a mapping by key; an unknown key is an error naming the accepted ones.</summary>
    Dictionary<string, YamlEntry>? Fields(YamlNode node, string path, IReadOnlyList<string> allowed, string alternatives = "")
    {
        if (node is not YamlMapping mapping)
        {
            Error(path, node.Position, $"expected {alternatives}a mapping with fields {string.Join(", ", allowed)}; got {node.Describe()}");
            return null;
        }
        var fields = new Dictionary<string, YamlEntry>(StringComparer.Ordinal);
        foreach (var entry in mapping.Entries)
        {
            var key = entry.Key.Value;
            if (allowed.Contains(key))
            {
                fields[key] = entry;
                continue;
            }
            var suggestion = Closest(key, allowed) is { } close ? $" (did you mean '{close}'?)" : "";
            Error(path == Root ? key : $"{path}.{key}", entry.Key.Position,
                $"unknown field '{key}'{suggestion}; expected one of {string.Join(", ", allowed)}");
        }
        return fields;
    }

    YamlEntry? Required(Dictionary<string, YamlEntry> fields, string key, YamlNode parent, string? path = null)
    {
        if (fields.TryGetValue(key, out var entry)) return entry;
        Error(path ?? key, parent.Position, $"missing required field '{key}'");
        return null;
    }

    /// <summary>The accepted name a typo most likely meant: at most two edits away.</summary>
    static string? Closest(string key, IReadOnlyList<string> allowed) =>
        allowed.Select(a => (Name: a, Distance: EditDistance(key, a)))
            .Where(c => c.Distance <= 2)
            .OrderBy(c => c.Distance)
            .Select(c => c.Name)
            .FirstOrDefault();

    static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }

    static int IndexOf(Hyperparameter parameter) => Hyperparameters.All.ToList().IndexOf(parameter);

    void Error(string field, SourcePosition position, string message)
    {
        // The same value tried for two arms can fail the same way twice; say it once.
        var error = new SpecError(field, position, message);
        if (_reported.Add(error)) errors.Add(error);
    }
}
