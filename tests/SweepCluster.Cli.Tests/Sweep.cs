using System.Diagnostics;

namespace SweepCluster.Cli.Tests;

/// <summary>Runs the built <c>sweep</c> program as a separate process, as a user would.</summary>
public static class Sweep
{
    public static readonly string RepositoryRoot = FindRoot();

    public sealed record Output(int ExitCode, string Stdout, string Stderr);

    public static async Task<Output> Run(params string[] args)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
        var program = Path.Combine(RepositoryRoot, "src", "SweepCluster.Cli", "bin", configuration, "net10.0", "sweep.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(program);
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
