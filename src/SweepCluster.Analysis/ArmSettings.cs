namespace SweepCluster.Analysis;

/// <summary>
/// The settings of an arm level that only some arms have: the noise model of the noisy arm, the
/// pre-training epochs of the arms that pre-train, the feature widths of the arms with features.
/// They cannot be part of the configuration that comparisons pair within, since the control lacks
/// some of them; instead two levels are paired only where they agree on every setting both have
/// (<see cref="AgreesWith"/>). Equal when they hold the same names and values.
/// </summary>
public sealed class ArmSettings : IEquatable<ArmSettings>
{
    public static readonly ArmSettings None = new([]);

    readonly SortedDictionary<string, string> _values;

    public ArmSettings(IEnumerable<KeyValuePair<string, string>> values)
    {
        _values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
            if (!_values.TryAdd(name, value))
                throw new ArgumentException($"setting '{name}' given twice", nameof(values));
    }

    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>True when every setting present in both has the same value in both.</summary>
    public bool AgreesWith(ArmSettings other) =>
        _values.All(p => !other._values.TryGetValue(p.Key, out var value) || value == p.Value);

    public bool Equals(ArmSettings? other) => other is not null && _values.SequenceEqual(other._values);

    public override bool Equals(object? obj) => Equals(obj as ArmSettings);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (name, value) in _values)
        {
            hash.Add(name, StringComparer.Ordinal);
            hash.Add(value, StringComparer.Ordinal);
        }
        return hash.ToHashCode();
    }

    /// <summary><c>name=value</c> pairs in name order, space separated; empty for <see cref="None"/>.</summary>
    public override string ToString() => string.Join(" ", _values.Select(p => $"{p.Key}={p.Value}"));
}
