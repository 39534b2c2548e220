namespace SweepCluster.Sweeps;

/// <summary>Reads YAML sweep specs (docs/spec.md). Every problem found is reported at once, each with its field, line and column.</summary>
public static class SweepSpecParser
{
    /// <summary>Reads and parses a spec file; relative dataset paths in it are taken relative to the file's folder.</summary>
    /// <exception cref="SpecException">The spec is invalid.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SweepSpec Load(string path, long defaultMaxTrials = SweepSpec.DefaultMaxTrials)
    {
        var fullPath = Path.GetFullPath(path);
        return Parse(File.ReadAllText(fullPath), path, defaultMaxTrials, Path.GetDirectoryName(fullPath));
    }

    /// <summary>Parses and validates a spec.</summary>
    /// <param name="yaml">The spec's text.</param>
    /// <param name="sourceName">What error messages call the spec (usually its file name).</param>
    /// <param name="defaultMaxTrials">The trial limit when the spec has no <c>max_trials</c>.</param>
    /// <param name="baseDirectory">Folder that relative dataset paths are resolved against; null keeps them as written.</param>
    /// <exception cref="SpecException">The spec is invalid; lists every error found.</exception>
    public static SweepSpec Parse(string yaml, string sourceName, long defaultMaxTrials = SweepSpec.DefaultMaxTrials, string? baseDirectory = null)
    {
        var errors = new List<SpecError>();
        var root = YamlTree.Read(yaml, errors);
        var spec = root is null ? null : new SpecReader(errors, baseDirectory).Read(root, defaultMaxTrials);
        if (spec is null || errors.Count > 0)
            throw new SpecException(sourceName, errors.OrderBy(e => e.Position.Line).ThenBy(e => e.Position.Column).ToList());
        return spec;
    }
}
