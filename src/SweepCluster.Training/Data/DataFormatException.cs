namespace SweepCluster.Training.Data;

/// <summary>
/// A data file or folder that cannot be used. The message always names the file and the problem,
/// so a user can fix it without a debugger.
/// </summary>
public sealed class DataFormatException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {problem}", inner)
{
    public string Path { get; } = path;
    public string Problem { get; } = problem;
}
