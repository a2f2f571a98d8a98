using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AlignStream.Alignment.JsonLines;

/// <summary>
/// Shared plumbing of the JSON-lines tools: numbered non-blank lines parsed as objects, per-line
/// failures written as `SOURCE:LINE: reason` to the error writer and counted, never fatal.
/// </summary>
internal static class JsonLinesReader
{
    /// <summary>Output options: keep non-ASCII text and '+' readable (the output is data, never embedded in HTML).</summary>
    public static readonly JsonSerializerOptions Output = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEnumerable<(int Line, string Text)> Lines(TextReader input)
    {
        var n = 0;
        while (input.ReadLine() is { } line)
        {
            n++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return (n, line);
            }
        }
    }

    public static JsonObject ParseObject(string text)
    {
        var node = JsonNode.Parse(text) ?? throw new FormatException("line is JSON null; expected an object");
        return node as JsonObject ?? throw new FormatException($"expected a JSON object, got {node.GetValueKind().ToString().ToLowerInvariant()}");
    }

    /// <summary>A number field, accepting "NaN"/"Infinity" strings so they can be rejected with a clear message by the algorithm.</summary>
    public static double Number(JsonNode? node, string what)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue<double>(out var d))
            {
                return d;
            }
            if (v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d))
            {
                return d;
            }
        }
        throw new FormatException($"{what} must be a number, got {Describe(node)}");
    }

    public static double[] Numbers(JsonNode? node, string what)
    {
        if (node is not JsonArray array)
        {
            throw new FormatException($"{what} must be an array of numbers, got {Describe(node)}");
        }
        var values = new double[array.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Number(array[i], $"{what}[{i}]");
        }
        return values;
    }

    public static double[][] Matrix(JsonNode? node, string what)
    {
        if (node is not JsonArray rows)
        {
            throw new FormatException($"{what} must be an array of arrays, got {Describe(node)}");
        }
        return rows.Select((row, i) => Numbers(row, $"{what}[{i}]")).ToArray();
    }

    public static string? OptionalString(JsonObject obj, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null)
        {
            return null;
        }
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new FormatException($"\"{field}\" must be a string, got {Describe(node)}");
    }

    public static void Fail(TextWriter error, string source, int line, string reason) =>
        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{source}:{line}: {reason}"));

    private static string Describe(JsonNode? node) => node is null ? "null" : node.ToJsonString();

    /// <summary>Exceptions that mean "this line is bad", as opposed to a bug or an I/O failure.</summary>
    public static bool IsLineError(Exception e) => e is JsonException or FormatException or ArgumentException or InvalidOperationException or KeyNotFoundException;
}
