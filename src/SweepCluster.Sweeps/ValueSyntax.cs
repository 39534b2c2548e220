using System.Globalization;
using System.Text.Json;

namespace SweepCluster.Sweeps;

/// <summary>How values of one type are written in a spec: parsed from a YAML scalar, formatted for labels.</summary>
internal abstract class ValueSyntax<T> where T : notnull
{
    /// <summary>What a message says was expected ("a number", "one of adam, sgd").</summary>
    public abstract string Expected { get; }

    public abstract bool TryParse(YamlScalar scalar, out T value);

    public abstract string Format(T value);

    /// <summary>The range distributions (besides <c>choice</c>) a sample can draw this type from, by name.</summary>
    public abstract IReadOnlyDictionary<string, Func<T, T, Distribution<T>>> Ranges { get; }
}

internal static class ValueSyntax
{
    public static readonly ValueSyntax<double> Real = new RealSyntax();
    public static readonly ValueSyntax<int> Integer = new IntegerSyntax();

    /// <summary>An enum written as its kebab-case name, as in the trial configuration's JSON.</summary>
    public static ValueSyntax<T> Name<T>() where T : struct, Enum => new NameSyntax<T>();

    sealed class RealSyntax : ValueSyntax<double>
    {
        public override string Expected => "a number";

        // Quoted scalars are strings in YAML: "1e-4" in quotes is a mistake worth reporting, not guessing.
        public override bool TryParse(YamlScalar scalar, out double value) =>
            double.TryParse(scalar.IsPlain ? scalar.Value : null, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);

        public override string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        public override IReadOnlyDictionary<string, Func<double, double, Distribution<double>>> Ranges { get; } =
            new Dictionary<string, Func<double, double, Distribution<double>>>
            {
                ["uniform"] = (min, max) => new UniformDistribution(min, max),
                ["log_uniform"] = (min, max) => new LogUniformDistribution(min, max),
            };
    }

    sealed class IntegerSyntax : ValueSyntax<int>
    {
        public override string Expected => "an integer";

        public override bool TryParse(YamlScalar scalar, out int value) =>
            int.TryParse(scalar.IsPlain ? scalar.Value : null, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

        public override string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

        public override IReadOnlyDictionary<string, Func<int, int, Distribution<int>>> Ranges { get; } =
            new Dictionary<string, Func<int, int, Distribution<int>>>
            {
                ["int_uniform"] = (min, max) => new IntUniformDistribution(min, max),
            };
    }

    sealed class NameSyntax<T> : ValueSyntax<T> where T : struct, Enum
    {
        readonly Dictionary<string, T> _byName = Enum.GetValues<T>().ToDictionary(v => NameOf(v), StringComparer.Ordinal);

        public override string Expected => "one of " + string.Join(", ", _byName.Keys);

        public override bool TryParse(YamlScalar scalar, out T value) => _byName.TryGetValue(scalar.Value, out value);

        public override string Format(T value) => NameOf(value);

        public override IReadOnlyDictionary<string, Func<T, T, Distribution<T>>> Ranges { get; } =
            new Dictionary<string, Func<T, T, Distribution<T>>>();

        static string NameOf(T value) => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
    }
}
