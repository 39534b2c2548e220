namespace SweepCluster.Cli.Tests;

/// <summary>Waiting on what a test watches from outside, such as the output of node processes.</summary>
public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="failure"/> when it still does not after <paramref name="patience"/> (60 s unless given).</summary>
    public static async Task Until(Func<bool> condition, string failure, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(60));
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True(condition(), failure);
    }
}
