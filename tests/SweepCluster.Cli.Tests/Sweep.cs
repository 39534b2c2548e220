using System.Diagnostics;

namespace SweepCluster.Cli.Tests;

/// <summary>Runs the built <c>sweep</c> program as a separate process, as a user would.</summary>
public static class Sweep
{
    public static readonly string RepositoryRoot = FindRoot();

    public sealed record Output(int ExitCode, string Stdout, string Stderr);

    /// <summary>The built sweep.dll of the same configuration as these tests (bin/&lt;Configuration&gt;/net10.0/).</summary>
    public static readonly string ProgramPath = Path.Combine(RepositoryRoot, "src", "SweepCluster.Cli", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "sweep.dll");

    public static async Task<Output> Run(params string[] args) => await RunIn(null, args);

    /// <summary>Runs sweep with <paramref name="workingDirectory"/> as its current folder.</summary>
    public static Task<Output> RunIn(string? workingDirectory, params string[] args) => RunWith(workingDirectory, null, args);

    /// <summary>Runs sweep with these environment variables added to the test's, such as SWEEP_TLS_* settings.</summary>
    public static async Task<Output> RunWith(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        start.ArgumentList.Add(ProgramPath);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return new Output(process.ExitCode, await stdout, await stderr);
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SweepCluster.sln"))) return dir.FullName;
        throw new InvalidOperationException("SweepCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
