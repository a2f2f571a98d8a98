using System.Globalization;

namespace AlignStream.Platform.Metrics;

/// <summary>
/// Renders a measurement's tags (plus the instrument's static labels) as the series key
/// <c>a="1",b="x"</c>: sorted by name so tag order does not matter, first of duplicate names wins, values escaped.
/// Renders into a per-thread buffer so the hot path (series already known) allocates nothing.
/// </summary>
internal static class LabelRenderer
{
    [ThreadStatic]
    private static char[]? t_buffer;

    [ThreadStatic]
    private static int[]? t_order;

    /// <summary>Renders into the thread's buffer and returns the rendered span (valid until the next call on this thread).</summary>
    public static ReadOnlySpan<char> Render(KeyValuePair<string, string>[] staticLabels, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var count = tags.Length + staticLabels.Length;
        if (count == 0)
        {
            return [];
        }

        var order = t_order is { } o && o.Length >= count ? o : t_order = new int[Math.Max(count, 16)];
        // Insertion sort of indexes by label name (measurement tags first, so on equal names they win); n is tiny.
        for (var i = 0; i < count; i++)
        {
            var key = KeyAt(i, staticLabels, tags);
            var j = i - 1;
            while (j >= 0 && string.CompareOrdinal(KeyAt(order[j], staticLabels, tags), key) > 0)
            {
                order[j + 1] = order[j];
                j--;
            }

            order[j + 1] = i;
        }

        var buffer = t_buffer ??= new char[256];
        var pos = 0;
        string? previous = null;
        for (var n = 0; n < count; n++)
        {
            var i = order[n];
            var key = KeyAt(i, staticLabels, tags);
            if (previous is not null && string.Equals(previous, key, StringComparison.Ordinal))
            {
                continue;
            }

            previous = key;
            if (pos > 0)
            {
                Append(ref buffer, ref pos, ",");
            }

            Append(ref buffer, ref pos, key);
            Append(ref buffer, ref pos, "=\"");
            if (i < tags.Length)
            {
                AppendValue(ref buffer, ref pos, tags[i].Value);
            }
            else
            {
                AppendEscaped(ref buffer, ref pos, staticLabels[i - tags.Length].Value);
            }

            Append(ref buffer, ref pos, "\"");
        }

        t_buffer = buffer;
        return buffer.AsSpan(0, pos);
    }

    private static string KeyAt(int i, KeyValuePair<string, string>[] staticLabels, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (i >= tags.Length)
        {
            return staticLabels[i - tags.Length].Key;
        }

        var key = tags[i].Key;
        return IsValidLabelName(key) ? key : PrometheusText.SanitizeLabelName(key);
    }

    private static bool IsValidLabelName(string key)
    {
        if (key.Length == 0 || char.IsAsciiDigit(key[0]) || key.StartsWith("__", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static void AppendValue(ref char[] buffer, ref int pos, object? value)
    {
        switch (value)
        {
            case string s:
                AppendEscaped(ref buffer, ref pos, s);
                return;
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                var f = (ISpanFormattable)value;
                int written;
                while (!f.TryFormat(buffer.AsSpan(pos), out written, default, CultureInfo.InvariantCulture))
                {
                    Grow(ref buffer, 32);
                }

                pos += written;
                return;
            default:
                AppendEscaped(ref buffer, ref pos, PrometheusText.FormatTagValue(value));
                return;
        }
    }

    private static void AppendEscaped(ref char[] buffer, ref int pos, string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0)
        {
            Append(ref buffer, ref pos, value);
            return;
        }

        foreach (var c in value)
        {
            var escaped = c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                _ => null,
            };
            if (escaped is null)
            {
                Append(ref buffer, ref pos, new ReadOnlySpan<char>(in c));
            }
            else
            {
                Append(ref buffer, ref pos, escaped);
            }
        }
    }

    private static void Append(ref char[] buffer, ref int pos, ReadOnlySpan<char> text)
    {
        if (pos + text.Length > buffer.Length)
        {
            Grow(ref buffer, text.Length);
        }

        text.CopyTo(buffer.AsSpan(pos));
        pos += text.Length;
    }

    private static void Grow(ref char[] buffer, int atLeast)
    {
        var bigger = new char[Math.Max(buffer.Length * 2, buffer.Length + atLeast)];
        buffer.CopyTo(bigger, 0);
        buffer = bigger;
    }
}
