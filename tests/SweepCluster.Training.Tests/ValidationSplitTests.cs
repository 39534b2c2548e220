using SweepCluster.Training.Data;

namespace SweepCluster.Training.Tests;

public class ValidationSplitTests
{
    [Fact]
    public void Carves_a_disjoint_reproducible_validation_set_from_training()
    {
        var train = TestData.Catalog.Load(new()).Train;
        var a = ValidationSplit.Carve(train, 0.1, splitSeed: 9);
        var b = ValidationSplit.Carve(train, 0.1, splitSeed: 9);
        var c = ValidationSplit.Carve(train, 0.1, splitSeed: 10);
        Assert.Equal(1_000, a.Validation.Length);
        Assert.Equal(9_000, a.Train.Length);
        Assert.Empty(a.Train.Intersect(a.Validation));
        Assert.Equal(a.Validation, b.Validation);
        Assert.Equal(a.Hash, b.Hash);
        Assert.NotEqual(a.Hash, c.Hash);
        Assert.False(a.ByGroup);
    }

    [Fact]
    public void With_groups_no_group_lands_on_both_sides()
    {
        // 40 images in 8 groups of 5, as State Farm's drivers would be.
        var images = new ImageSet(new byte[40], Enumerable.Range(0, 40).Select(i => i % 2).ToArray(), 1, 1, 1,
            Enumerable.Range(0, 40).Select(i => i / 5).ToArray());
        var split = ValidationSplit.Carve(images, 0.25, splitSeed: 4);
        Assert.True(split.ByGroup);
        var validationGroups = split.Validation.Select(i => images.Groups![i]).ToHashSet();
        var trainGroups = split.Train.Select(i => images.Groups![i]).ToHashSet();
        Assert.Empty(validationGroups.Intersect(trainGroups));
        Assert.Equal(10, split.Validation.Length);
    }
}
