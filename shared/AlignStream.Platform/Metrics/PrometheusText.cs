using System.Globalization;
using System.Text;

namespace AlignStream.Platform.Metrics;

/// <summary>
/// Pieces of the Prometheus text exposition format 0.0.4: name sanitising, unit suffixes, escaping and
/// number formatting. Kept apart from the collector so each rule is testable on its own.
/// </summary>
public static class PrometheusText
{
    /// <summary>Content type of the 0.0.4 text format, for the HTTP response.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// Makes a valid metric name: <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>. Other characters (dots, dashes, spaces)
    /// become underscores, runs of underscores collapse, and a leading digit gets an underscore before it.
    /// </summary>
    public static string SanitizeMetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>Makes a valid label name: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>; a leading <c>__</c> (reserved) is reduced to one underscore.</summary>
    public static string SanitizeLabelName(string name)
    {
        var s = Sanitize(name, allowColon: false);
        return s.StartsWith("__", StringComparison.Ordinal) ? s[1..] : s;
    }

    private static string Sanitize(string name, bool allowColon)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "_";
        }

        var sb = new StringBuilder(name.Length + 1);
        if (char.IsAsciiDigit(name[0]))
        {
            sb.Append('_');
        }

        foreach (var c in name)
        {
            var ok = char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':');
            var ch = ok ? c : '_';
            // Collapse runs of underscores that replacement creates ("a.-b" → "a_b").
            if (ch == '_' && sb.Length > 0 && sb[^1] == '_' && !ok)
            {
                continue;
            }

            sb.Append(ch);
        }

        return sb.ToString();
    }

    /// <summary>
    /// Maps a UCUM-style instrument unit to the Prometheus name suffix (without underscore), or "" when the
    /// unit adds nothing (empty, dimensionless "1", or an annotation such as <c>{record}</c>).
    /// </summary>
    public static string UnitSuffix(string? unit)
    {
        if (string.IsNullOrWhiteSpace(unit) || unit == "1")
        {
            return "";
        }

        var slash = unit.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            var num = UnitSuffix(unit[..slash]);
            var den = SingularUnit(unit[(slash + 1)..]);
            return num.Length == 0 ? "per_" + den : num + "_per_" + den;
        }

        if (unit.StartsWith('{'))
        {
            return "";
        }

        return unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "us" or "μs" => "microseconds",
            "ns" => "nanoseconds",
            "min" => "minutes",
            "h" => "hours",
            "d" => "days",
            "By" => "bytes",
            "KiBy" => "kibibytes",
            "MiBy" => "mebibytes",
            "GiBy" => "gibibytes",
            "KBy" => "kilobytes",
            "MBy" => "megabytes",
            "GBy" => "gigabytes",
            "bit" => "bits",
            "Hz" => "hertz",
            "%" => "percent",
            _ => SanitizeLabelName(unit.ToLowerInvariant()).Trim('_'),
        };
    }

    private static string SingularUnit(string unit) => unit switch
    {
        "s" => "second",
        "ms" => "millisecond",
        "min" => "minute",
        "h" => "hour",
        "d" => "day",
        "By" => "byte",
        _ => SanitizeLabelName(unit.ToLowerInvariant()).Trim('_'),
    };

    /// <summary>
    /// Builds the exposed family name from an instrument name and unit: sanitised, the unit suffix added
    /// unless already present, and <c>_total</c> last for counters (kept once if the name already has it).
    /// </summary>
    public static string FamilyName(string instrumentName, string? unit, bool isCounter)
    {
        var name = SanitizeMetricName(instrumentName);
        var hadTotal = name.EndsWith("_total", StringComparison.Ordinal);
        if (hadTotal)
        {
            name = name[..^"_total".Length];
        }

        var suffix = UnitSuffix(unit);
        if (suffix.Length > 0 && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }

        // Only counters may end in _total (promtool lints the opposite case too).
        return isCounter ? name + "_total" : name;
    }

    /// <summary>Escapes a label value: backslash, double quote and line feed.</summary>
    public static string EscapeLabelValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0)
        {
            return value;
        }

        return value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);
    }

    /// <summary>Escapes HELP text: backslash and line feed (quotes stay as they are in HELP).</summary>
    public static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>Formats a sample value the way Prometheus parses it: <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>, else round-trip invariant.</summary>
    public static string FormatValue(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }

        return double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Formats a tag value as label text: invariant culture, booleans lower-case, null as empty.</summary>
    public static string FormatTagValue(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        double d => FormatValue(d),
        float f => FormatValue(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
