using System.Globalization;
using System.Text;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// Go's fmt for the values templates handle: how {{ x }}, printf, quote and toString print them.
/// A number from YAML is a float64 in Helm, printed by %v as the shortest decimal that reads back,
/// in exponent form from 1e+06 on (so 1000000 prints "1e+06", a known Helm surprise kept here).
/// </summary>
public static class GoFormat
{
    /// <summary>What {{ value }} writes: %v, with nil as nothing (Helm removes "&lt;no value&gt;").</summary>
    public static string Print(object? value) => value is null ? "" : Value(value);

    /// <summary>fmt's %v.</summary>
    public static string Value(object? value) => value switch
    {
        null => "<nil>",
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        List<object?> list => "[" + string.Join(" ", list.Select(Value)) + "]",
        Dictionary<string, object?> map => "map[" + string.Join(" ", map.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}:{Value(e.Value)}")) + "]",
        _ => throw new NotSupportedException($"no Go formatting for {value.GetType().Name}"),
    };

    /// <summary>The Go type a template error names.</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "nil",
        string => "string",
        bool => "bool",
        long => "int",
        double => "float64",
        List<object?> => "[]interface {}",
        Dictionary<string, object?> => "map[string]interface {}",
        _ => value.GetType().Name,
    };

    /// <summary>strconv.FormatFloat(d, 'g', -1, 64): shortest digits; exponent form below 1e-4 and from 1e+06.</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsInfinity(d)) return d > 0 ? "+Inf" : "-Inf";
        if (d == 0) return double.IsNegative(d) ? "-0" : "0";
        // .NET's "R" is the shortest text that reads back, as Go's; only the layout differs.
        var (digits, exponent) = Digits(Math.Abs(d).ToString("R", CultureInfo.InvariantCulture));
        var sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 6)
        {
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }
        if (exponent < 0) return $"{sign}0.{new string('0', -exponent - 1)}{digits}";
        return digits.Length <= exponent + 1
            ? sign + digits + new string('0', exponent + 1 - digits.Length)
            : $"{sign}{digits[..(exponent + 1)]}.{digits[(exponent + 1)..]}";
    }

    /// <summary>The significant digits of a positive number written by .NET, and the decimal exponent of the first.</summary>
    static (string Digits, int Exponent) Digits(string written)
    {
        var e = written.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? written : written[..e];
        var exponent = e < 0 ? 0 : int.Parse(written[(e + 1)..], CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.');
        var whole = point < 0 ? mantissa : mantissa[..point];
        var all = mantissa.Replace(".", "");
        var leadingZeros = all.Length - all.TrimStart('0').Length;
        var digits = all.Trim('0');
        return (digits, exponent + whole.Length - 1 - leadingZeros);
    }

    /// <summary>fmt.Sprintf for the verbs the chart uses, %s and %v; a value of the wrong kind prints as Go does, %!s(int=5).</summary>
    public static string Sprintf(string format, IReadOnlyList<object?> arguments)
    {
        var output = new StringBuilder();
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                output.Append(format[i]);
                continue;
            }
            if (++i >= format.Length) throw new FormatException("printf: format ends with %");
            var verb = format[i];
            if (verb is not ('s' or 'v')) throw new NotSupportedException($"printf verb %{verb} is not supported by this renderer");
            if (next >= arguments.Count)
            {
                output.Append($"%!{verb}(MISSING)");
                continue;
            }
            var argument = arguments[next++];
            output.Append(verb == 'v' ? Value(argument) : argument as string ?? Bad(verb, argument));
        }
        if (next < arguments.Count) output.Append("%!(EXTRA ").Append(string.Join(", ", arguments.Skip(next).Select(a => $"{TypeName(a)}={Value(a)}"))).Append(')');
        return output.ToString();
    }

    static string Bad(char verb, object? argument) => argument is null ? $"%!{verb}(<nil>)" : $"%!{verb}({TypeName(argument)}={Value(argument)})";

    /// <summary>strconv.Quote: double quotes, with \" \\ and control characters escaped.</summary>
    public static string Quote(string s)
    {
        var output = new StringBuilder("\"");
        foreach (var c in s)
            output.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                '\a' => "\\a",
                '\b' => "\\b",
                '\f' => "\\f",
                '\v' => "\\v",
                < ' ' or '\x7f' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        return output.Append('"').ToString();
    }
}
