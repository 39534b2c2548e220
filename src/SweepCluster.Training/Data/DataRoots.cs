namespace SweepCluster.Training.Data;

/// <summary>
/// The folders a node may read datasets from. Specs come from every user of a shared cluster, so
/// a dataset path in one must not make a node read <c>/etc</c> or another team's files: a path is
/// accepted only when it lies under a root, first as written (<c>..</c> collapsed) when a spec is
/// submitted, then again with every symbolic link followed when a worker opens it.
/// </summary>
public sealed class DataRoots
{
    /// <summary>Where Debian's dataset packages (dataset-fashion-mnist among them) install.</summary>
    public const string DebianDatasets = "/usr/share/datasets";

    // Linux gives up after 40 links in one lookup (ELOOP); so do we.
    const int MaxLinks = 40;

    /// <summary>The roots, absolute and normalised, in the order given.</summary>
    public IReadOnlyList<string> Folders { get; }

    /// <exception cref="ArgumentException">No root, or a relative one.</exception>
    public DataRoots(IEnumerable<string> folders)
    {
        Folders = folders.Select(Normalise).Distinct(StringComparer.Ordinal).ToArray();
        if (Folders.Count == 0) throw new ArgumentException("at least one data root is needed", nameof(folders));
    }

    /// <summary>The current folder and <see cref="DebianDatasets"/>: what a single machine reads from unless told otherwise.</summary>
    public static DataRoots Default() => new([Environment.CurrentDirectory, DebianDatasets]);

    /// <summary>Reads a ':'-separated list, as in <c>SWEEP_DATA_ROOTS=/data:/usr/share/datasets</c>.</summary>
    /// <exception cref="ArgumentException">The list is empty or holds a relative folder.</exception>
    public static DataRoots Parse(string list) =>
        new(list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Whether a path, taken as written with <c>..</c> collapsed, lies under a root. Links are not followed.</summary>
    public bool Contains(string path)
    {
        var full = Path.GetFullPath(path);
        return Folders.Any(root => IsUnder(full, root));
    }

    /// <summary>
    /// Follows every symbolic link in <paramref name="path"/> and checks where it really lands.
    /// Returns the real path; the file itself need not exist (the loader says so if it does not).
    /// </summary>
    /// <exception cref="DataFormatException">The path lands outside every root, or its links loop.</exception>
    public string CheckReal(string path)
    {
        var real = RealPath(path);
        if (!Folders.Any(root => IsUnder(real, RealPath(root))))
            throw new DataFormatException(path,
                (real == Path.GetFullPath(path) ? "lies" : $"leads to {real}, which lies") +
                $" outside the data roots ({this}); a node reads datasets only under them (SWEEP_DATA_ROOTS, or --data-root)");
        return real;
    }

    public override string ToString() => string.Join(", ", Folders);

    static string Normalise(string folder)
    {
        if (!Path.IsPathRooted(folder))
            throw new ArgumentException($"data root '{folder}' must be an absolute folder", nameof(folder));
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
    }

    static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The path with every link resolved, component by component, like realpath(3) but tolerating a
    /// missing tail. ".." is taken after the links before it are followed, as the kernel does.
    /// </summary>
    static string RealPath(string path)
    {
        var absolute = Path.IsPathRooted(path) ? path : Path.Combine(Environment.CurrentDirectory, path);
        var pending = new Stack<string>(Components(absolute).Reverse());
        var current = Path.GetPathRoot(absolute)!;
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            var next = Path.Combine(current, part);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DataFormatException(next, $"cannot be inspected: {e.Message}", e);
            }
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks)
                throw new DataFormatException(path, $"has more than {MaxLinks} symbolic links in a row: a link loop (last at {next} -> {target})");
            // Walk the link's target in place of the link, then what followed the link.
            foreach (var rest in Components(target).Reverse()) pending.Push(rest);
            if (Path.IsPathRooted(target)) current = Path.GetPathRoot(target)!;
        }
        return current;
    }

    static string[] Components(string path) =>
        path[(Path.GetPathRoot(path)?.Length ?? 0)..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
}
