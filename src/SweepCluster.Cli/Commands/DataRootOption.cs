using System.CommandLine;
using SweepCluster.Training.Data;

namespace SweepCluster.Cli.Commands;

/// <summary>
/// <c>--data-root</c> of the commands that read a spec file on this machine. Unless given, a spec
/// may name data next to itself, under the current folder and under /usr/share/datasets; its
/// relative paths mean the first root, so by default the spec's own folder.
/// </summary>
public static class DataRootOption
{
    public static Option<string[]> Create() => new("--data-root")
    {
        Description = "A folder datasets may be read from (repeatable; relative dataset paths mean the first). Default: the spec's folder, the current folder, /usr/share/datasets",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <exception cref="ArgumentException">A root is not an absolute or existing-relative folder.</exception>
    public static DataRoots Resolve(string[]? given, string specFile) =>
        given is { Length: > 0 }
            ? new DataRoots(given.Select(Path.GetFullPath))
            : new DataRoots([Path.GetDirectoryName(Path.GetFullPath(specFile))!, Environment.CurrentDirectory, DataRoots.DebianDatasets]);
}
