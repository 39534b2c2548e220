using System.Security.Cryptography;
using System.Text;

namespace SweepCluster.Training.Trials;

/// <summary>
/// One trial seed fans out into independent streams, one per source of randomness, so that
/// changing how one stream is used (say, the head re-initialisation) never shifts another
/// (the data order). Arms that share a trial seed therefore share initial weights, data order and
/// split, which is what makes their differences paired.
/// </summary>
public sealed record SeedStreams(ulong Init, ulong Order, ulong Noise, ulong Head, ulong Split)
{
    public static SeedStreams From(int trialSeed, ulong? noiseSeed = null) => new(
        Derive(trialSeed, "init"),
        Derive(trialSeed, "order"),
        noiseSeed ?? Derive(trialSeed, "noise"),
        Derive(trialSeed, "head"),
        Derive(trialSeed, "split"));

    /// <summary>The first 8 bytes of SHA-256("sweepcluster/{stream}/{seed}"): stable across platforms and versions.</summary>
    public static ulong Derive(long seed, string stream)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"sweepcluster/{stream}/{seed}"));
        return BitConverter.ToUInt64(digest, 0);
    }
}

/// <summary>
/// SplitMix64: a tiny, fast generator whose sequence is fixed by its seed on every platform,
/// unlike System.Random whose algorithm is an implementation detail.
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    ulong _state = seed;

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, bound), without modulo bias (Lemire's method).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound));
        var threshold = (0UL - (ulong)bound) % (ulong)bound;
        while (true)
        {
            var r = NextUInt64();
            var product = Math.BigMul(r, (ulong)bound, out var low);
            if (low >= threshold) return (int)product;
        }
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A random permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        Shuffle(order.AsSpan());
        return order;
    }
}
