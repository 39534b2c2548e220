namespace SweepCluster.Analysis;

/// <summary>
/// Holm's step-down correction for a family of tests: it controls the family-wise error rate
/// without assuming the tests independent, which comparisons sharing a control are not.
/// </summary>
public static class Holm
{
    /// <summary>
    /// The adjusted p-values in the order given: the k-th smallest of m becomes
    /// max over j ≤ k of min(1, (m - j + 1) · p(j)), so adjusted values never decrease with p.
    /// </summary>
    public static IReadOnlyList<double> Adjust(IReadOnlyList<double> pValues)
    {
        if (pValues.Any(p => !(p >= 0 && p <= 1)))
            throw new ArgumentException("every p-value must lie in [0, 1]", nameof(pValues));
        var m = pValues.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ToArray();
        var adjusted = new double[m];
        var running = 0.0;
        for (var k = 0; k < m; k++)
        {
            running = Math.Max(running, Math.Min(1, (m - k) * pValues[order[k]]));
            adjusted[order[k]] = running;
        }
        return adjusted;
    }
}
