using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Training.Tests;

/// <summary>Dataset paths stay under the data roots, as written and with links followed, on a real file system.</summary>
public sealed class DataRootsTests : IDisposable
{
    readonly string _temp = Directory.CreateTempSubdirectory("data-roots-").FullName;
    readonly string _root;
    readonly string _outside;
    readonly DataRoots _roots;

    public DataRootsTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_temp, "root")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_temp, "outside")).FullName;
        Directory.CreateDirectory(Path.Combine(_root, "mnist"));
        _roots = new DataRoots([_root]);
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Paths_are_judged_with_dot_dot_collapsed_and_a_root_does_not_contain_its_namesakes()
    {
        Assert.True(_roots.Contains(Path.Combine(_root, "mnist")));
        Assert.True(_roots.Contains(_root));
        Assert.False(_roots.Contains(Path.Combine(_root, "..", "outside")));
        Assert.False(_roots.Contains(_root + "-other"));
        Assert.Throws<ArgumentException>(() => new DataRoots(["relative/folder"]));
        Assert.Throws<ArgumentException>(() => DataRoots.Parse(" : "));
        Assert.Equal(["/data", "/usr/share/datasets"], DataRoots.Parse("/data/:/usr/share/datasets").Folders);
    }

    [Fact]
    public void A_link_inside_a_root_that_leads_outside_is_refused_naming_where_it_leads()
    {
        var link = Path.Combine(_root, "escape");
        Directory.CreateSymbolicLink(link, _outside);
        var error = Assert.Throws<DataFormatException>(() => _roots.CheckReal(Path.Combine(link, "train")));
        Assert.Equal(Path.Combine(link, "train"), error.Path);
        Assert.Contains($"leads to {Path.Combine(_outside, "train")}, which lies outside the data roots ({_root})", error.Problem);

        // ".." after a link is taken from where the link leads, as the kernel takes it.
        var inner = Directory.CreateDirectory(Path.Combine(_outside, "inner")).FullName;
        var deep = Path.Combine(_root, "deep");
        Directory.CreateSymbolicLink(deep, inner);
        Assert.Throws<DataFormatException>(() => _roots.CheckReal(Path.Combine(deep, "..", "secrets")));
    }

    [Fact]
    public void Links_within_the_roots_resolve_to_their_real_folder_and_a_missing_tail_is_left_to_the_loader()
    {
        var link = Path.Combine(_root, "current");
        Directory.CreateSymbolicLink(link, "mnist");
        Assert.Equal(Path.Combine(_root, "mnist"), _roots.CheckReal(link));
        Assert.Equal(Path.Combine(_root, "mnist", "not-yet"), _roots.CheckReal(Path.Combine(link, "not-yet")));
    }

    [Fact]
    public void A_link_loop_is_refused_not_followed_forever()
    {
        var a = Path.Combine(_root, "a");
        var b = Path.Combine(_root, "b");
        Directory.CreateSymbolicLink(a, b);
        Directory.CreateSymbolicLink(b, a);
        var error = Assert.Throws<DataFormatException>(() => _roots.CheckReal(Path.Combine(a, "train")));
        Assert.Contains("link loop", error.Problem);
    }

    [Fact]
    public void The_catalog_refuses_a_config_path_outside_its_roots_before_reading_it()
    {
        var catalog = new DatasetCatalog(new DataSettings { DataRoots = _roots });
        var error = Assert.Throws<DataFormatException>(() =>
            catalog.Load(new DatasetConfig { Name = DatasetConfig.Idx, Path = _outside }));
        Assert.Equal(_outside, error.Path);
        Assert.Contains("outside the data roots", error.Problem);

        error = Assert.Throws<DataFormatException>(() =>
            catalog.Load(new DatasetConfig { Name = DatasetConfig.Idx, Path = Path.Combine(_root, "..", "outside") }));
        Assert.Contains("outside the data roots", error.Problem);

        // Inside the roots the loader runs, and says what is wrong with the folder itself.
        error = Assert.Throws<DataFormatException>(() =>
            catalog.Load(new DatasetConfig { Name = DatasetConfig.Idx, Path = Path.Combine(_root, "mnist") }));
        Assert.DoesNotContain("outside", error.Problem);
    }
}
