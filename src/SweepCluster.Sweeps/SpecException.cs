namespace SweepCluster.Sweeps;

/// <summary>A place in a spec file, 1-based as editors count.</summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    public override string ToString() => $"line {Line}, column {Column}";
}

/// <summary>One problem with a spec: the field's path in the spec (<c>grid.noise[2]</c>), where it is, and what is wrong.</summary>
public sealed record SpecError(string Field, SourcePosition Position, string Message)
{
    public override string ToString() => $"{Field} at {Position}: {Message}";
}

/// <summary>A spec with one or more problems; <see cref="Errors"/> lists every one found, in file order.</summary>
public sealed class SpecException(string sourceName, IReadOnlyList<SpecError> errors)
    : Exception($"{sourceName}: invalid sweep spec ({Count(errors.Count)}):\n  " + string.Join("\n  ", errors))
{
    public string SourceName { get; } = sourceName;
    public IReadOnlyList<SpecError> Errors { get; } = errors;

    static string Count(int n) => n == 1 ? "1 error" : $"{n} errors";
}
