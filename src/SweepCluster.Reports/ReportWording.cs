using System.Globalization;
using SweepCluster.Analysis;

namespace SweepCluster.Reports;

/// <summary>How report.md puts numbers and comparisons into words.</summary>
public static class ReportWording
{
    /// <summary>A metric value in a sentence: three decimals, a true minus sign for negatives.</summary>
    public static string Number(double value) =>
        value.ToString("0.000", CultureInfo.InvariantCulture).Replace("-", "\u2212");

    /// <summary>A value in a table: four decimals; "-" where there is none.</summary>
    public static string Cell(double? value) =>
        value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture).Replace("-", "\u2212") : "-";

    /// <summary>A p-value for a table: two significant digits ("0.012"), or "&lt; 0.001"; "-" where there is none.</summary>
    public static string P(double? p) => p switch
    {
        null => "-",
        < 0.001 => "< 0.001",
        { } value => value.ToString("G2", CultureInfo.InvariantCulture),
    };

    /// <summary>A p-value after "p" in a sentence: "= 0.012" or "&lt; 0.001".</summary>
    static string PClause(double p) => p < 0.001 ? P(p) : "= " + P(p);

    /// <summary>An interval in a sentence, "−0.020 to −0.004".</summary>
    public static string Interval(Interval? interval) =>
        interval is null ? "-" : $"{Number(interval.Lower)} to {Number(interval.Upper)}";

    /// <summary>An interval in a table, to the table's four decimals; "-" where there is none.</summary>
    public static string CellInterval(Interval? interval) =>
        interval is null ? "-" : $"{Cell(interval.Lower)} to {Cell(interval.Upper)}";

    /// <summary>
    /// One comparison in plain words, e.g. "noisy p=1 scored 0.012 lower than random-frozen (95% CI
    /// −0.020 to −0.004, Holm p = 0.01, 20 paired seeds)", then whether that is a difference at
    /// alpha after Holm, the equivalence test where a margin is given, and, where the difference is
    /// not resolved, about how many paired seeds would resolve one of its size.
    /// </summary>
    public static string Sentence(LabelledComparison comparison, double alpha)
    {
        var paired = comparison.Result.Paired;
        if (paired.MeanDifference is not { } mean)
            return $"{comparison.A} and {comparison.B} share no seeds, so they are not compared.";
        var n = paired.SharedSeeds;
        var seeds = n == 1 ? "1 paired seed" : $"{n} paired seeds";
        var size = mean == 0 ? "the same as" : $"{Number(Math.Abs(mean))} {(mean > 0 ? "higher" : "lower")} than";
        var details = new List<string>();
        if (paired.BootstrapInterval is { } ci) details.Add($"95% CI {Interval(ci)}");
        if (comparison.Result.HolmTTestP is { } holm) details.Add($"Holm p {PClause(holm)}");
        details.Add(seeds);
        var sentence = $"{comparison.A} scored {size} {comparison.B} ({string.Join(", ", details)})";

        if (comparison.Result.HolmTTestP is not { } adjusted)
            sentence += n < 2 ? ": too few seeds for a test." : ": every seed gave the same difference, so no t-test.";
        else if (adjusted < alpha)
            sentence += $": a difference at the {alpha:0%} level after Holm's correction.";
        else
        {
            sentence += ": not distinguishable from no difference with these seeds.";
            if (mean != 0 && paired.DifferenceStandardDeviation is { } sd)
            {
                var needed = SeedBudget.SeedsForHalfWidth(sd, Math.Abs(mean));
                sentence += needed is { } more
                    ? $" A 95% interval as narrow as ±{Number(Math.Abs(mean))} (the difference seen) takes about {more} paired seeds."
                    : $" A 95% interval as narrow as ±{Number(Math.Abs(mean))} would take more than a million paired seeds.";
            }
        }
        // Beside a clear difference, "not equivalent" adds nothing; the table still lists every TOST p.
        if (paired.Equivalence is { } tost && (tost.Equivalent || comparison.Result.HolmTTestP is not { } shown || shown >= alpha))
            sentence += tost.Equivalent
                ? $" Equivalent within ±{Number(tost.Margin)} (TOST p {PClause(tost.P)})."
                : $" Not shown equivalent within ±{Number(tost.Margin)} (TOST p {PClause(tost.P)}).";
        return sentence;
    }
}
