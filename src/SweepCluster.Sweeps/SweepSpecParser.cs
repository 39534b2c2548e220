namespace SweepCluster.Sweeps;

/// <summary>Reads YAML sweep specs (docs/spec.md). Every problem found is reported at once, each with its field, line and column.</summary>
public static class SweepSpecParser
{
    /// <summary>Reads and parses a spec file.</summary>
    /// <exception cref="SpecException">The spec is invalid.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SweepSpec Load(string path, SpecOptions options)
    {
        var size = new FileInfo(path).Length;
        if (size > options.MaxBytes) throw TooLong(path, size, options);
        return Parse(File.ReadAllText(path), path, options);
    }

    /// <summary>Parses and validates a spec.</summary>
    /// <param name="yaml">The spec's text.</param>
    /// <param name="sourceName">What error messages call the spec (usually its file name).</param>
    /// <param name="options">The reader's limits; by default 100,000 trials and dataset paths unconfined.</param>
    /// <exception cref="SpecException">The spec is invalid; lists every error found.</exception>
    public static SweepSpec Parse(string yaml, string sourceName, SpecOptions? options = null)
    {
        options ??= new SpecOptions();
        var size = System.Text.Encoding.UTF8.GetByteCount(yaml);
        if (size > options.MaxBytes) throw TooLong(sourceName, size, options);
        var errors = new List<SpecError>();
        var root = YamlTree.Read(yaml, errors);
        var spec = root is null ? null : new SpecReader(errors, options).Read(root);
        if (spec is null || errors.Count > 0)
            throw new SpecException(sourceName, errors.OrderBy(e => e.Position.Line).ThenBy(e => e.Position.Column).ToList());
        return spec;
    }

    static SpecException TooLong(string sourceName, long size, SpecOptions options) =>
        new(sourceName, [new SpecError("(spec)", new SourcePosition(1, 1),
            $"the spec is {size:N0} bytes, over the limit of {options.MaxBytes:N0}; a spec lists values and ranges, not data")]);
}
