using System.Text.RegularExpressions;
using SweepCluster.Cli.Tests;

namespace SweepCluster.Deploy.Tests;

/// <summary>docker/: what can be checked without Docker, the parts a careless edit breaks.</summary>
public sealed class DockerfileTests
{
    static string[] Instructions(string file) => File.ReadAllLines(Path.Combine(Sweep.RepositoryRoot, "docker", file))
        .Where(l => l.Length > 0 && !l.StartsWith('#') && !char.IsWhiteSpace(l[0]))
        .ToArray();

    [Theory]
    [InlineData("Dockerfile")]
    [InlineData("Dockerfile.cuda")]
    public void Restores_from_project_files_before_copying_sources_and_runs_as_non_root(string file)
    {
        var lines = Instructions(file);
        Assert.True(lines.Count(l => l.StartsWith("FROM ")) >= 2, "multi-stage");
        var restore = Array.FindIndex(lines, l => l.StartsWith("RUN dotnet restore"));
        var sources = Array.FindIndex(lines, l => l.StartsWith("COPY src/ "));
        var publish = Array.FindIndex(lines, l => l.StartsWith("RUN dotnet publish"));
        Assert.True(restore > 0 && restore < sources && sources < publish, "restore, then copy sources, then publish");
        Assert.Contains("--no-restore", lines[publish]);
        Assert.All(lines[..restore].Where(l => l.StartsWith("COPY ")), l => Assert.DoesNotContain(".cs ", l + " "));
        // Every project the CLI needs is copied before restore, or restore misses its packages.
        foreach (var project in Directory.GetFiles(Path.Combine(Sweep.RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Sweep.RepositoryRoot, project).Replace('\\', '/');
            Assert.Contains(lines[..restore], l => l.StartsWith($"COPY {relative} "));
        }
        // The bundled data is an embedded resource of SweepCluster.Training: without it the image's default dataset is missing.
        Assert.Contains(lines[..publish], l => l == "COPY data/ data/");
        var final = lines[Array.FindLastIndex(lines, l => l.StartsWith("FROM "))..];
        Assert.Contains(final, l => Regex.IsMatch(l, @"^USER \$APP_UID$"));
        Assert.Contains(final, l => l.StartsWith("ENTRYPOINT ") && l.Contains("sweep"));
        Assert.Contains("CMD [\"node\"]", final);
        Assert.Contains(final, l => l.StartsWith("FROM ") && (l.Contains("noble") || l.Contains("ubuntu24.04")));
    }

    [Fact]
    public void The_cuda_image_builds_with_the_cuda_torch_packages()
    {
        var lines = Instructions("Dockerfile.cuda");
        Assert.Contains(lines, l => l.StartsWith("RUN dotnet restore") && l.Contains("-p:TorchDevice=cuda"));
        Assert.Contains(lines, l => l.StartsWith("RUN dotnet publish") && l.Contains("-p:TorchDevice=cuda"));
        Assert.StartsWith("FROM nvidia/cuda:", lines.Last(l => l.StartsWith("FROM ")));
        Assert.DoesNotContain(Instructions("Dockerfile"), l => l.Contains("TorchDevice=cuda"));
    }

    [Fact]
    public void The_build_context_leaves_out_build_outputs()
    {
        var ignore = File.ReadAllLines(Path.Combine(Sweep.RepositoryRoot, ".dockerignore"));
        Assert.Contains("**/bin/", ignore);
        Assert.Contains("**/obj/", ignore);
        Assert.DoesNotContain(ignore, l => l.TrimEnd('/') is "data" or "data/fashion-mnist-subset");
    }
}
