namespace SweepCluster.Corpus;

/// <summary>
/// A small mutation fuzzer for the parsers: from valid inputs it makes damaged ones (bytes flipped,
/// cut, repeated, inserted, deleted) with a seeded generator, for as long as a time budget allows.
/// The budget is <c>SWEEP_FUZZ_SECONDS</c> (default 5 per parser in CI; docs/reliability.md gives
/// the long run). A parser passes when every input either parses or is refused with its own error type.
/// </summary>
public static class Mutations
{
    public static TimeSpan Budget { get; } =
        TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("SWEEP_FUZZ_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 5);

    /// <summary>What a run did, for the test's output: docs/reliability.md records the counts of a long run.</summary>
    public static string Describe(int count) => $"{count:N0} mutants in a budget of {Budget.TotalSeconds:N0} s";

    /// <summary>One damaged copy of <paramref name="input"/>: 1 to 4 mutations.</summary>
    public static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = new List<byte>(input);
        for (var n = random.Next(1, 5); n > 0; n--)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;                        // flip a bit
                case 1 when bytes.Count > 0: bytes[at] = (byte)random.Next(256); break;                              // replace a byte
                case 2: bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 16))); break;               // delete a run
                case 3: bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 16)).Select(_ => (byte)random.Next(256))); break;
                case 4 when bytes.Count > 0: bytes.InsertRange(at, bytes.GetRange(at, Math.Min(bytes.Count - at, random.Next(1, 64)))); break; // repeat
                case 5: bytes.RemoveRange(at, bytes.Count - at); break;                                             // truncate
            }
        }
        return bytes.ToArray();
    }

    /// <summary>
    /// Feeds mutants of the seeds to <paramref name="parse"/> until the budget is spent; returns
    /// how many ran. An exception other than <typeparamref name="TRefusal"/> fails, with the input that caused it.
    /// </summary>
    public static int Run<TRefusal>(IReadOnlyList<byte[]> seeds, Action<byte[]> parse, int randomSeed = 1) where TRefusal : Exception
    {
        var random = new Random(randomSeed);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var count = 0;
        while (clock.Elapsed < Budget || count < 100)
        {
            var input = Mutate(seeds[random.Next(seeds.Count)], random);
            try
            {
                parse(input);
            }
            catch (TRefusal)
            {
                // refused with a clear error: what a parser should do
            }
            catch (Exception e)
            {
                throw new InvalidOperationException(
                    $"mutant {count} ({input.Length} bytes, base64 {Convert.ToBase64String(input)}) threw {e.GetType().Name} instead of {typeof(TRefusal).Name}: {e.Message}", e);
            }
            count++;
        }
        return count;
    }
}
