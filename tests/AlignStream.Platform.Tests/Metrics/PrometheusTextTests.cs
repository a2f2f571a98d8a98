using AlignStream.Platform.Metrics;

namespace AlignStream.Platform.Tests.Metrics;

/// <summary>Unit tests of the exposition format rules (no network).</summary>
public sealed class PrometheusTextTests
{
    [Theory]
    [InlineData("align_ok_name", "align_ok_name")]
    [InlineData("AlignStream.kafka-produced records", "AlignStream_kafka_produced_records")]
    [InlineData("9lives", "_9lives")]
    [InlineData("a:b", "a:b")]
    [InlineData("a..b", "a_b")]
    [InlineData("", "_")]
    public void Metric_names_are_sanitised(string input, string expected) =>
        Assert.Equal(expected, PrometheusText.SanitizeMetricName(input));

    [Theory]
    [InlineData("message_type", "message_type")]
    [InlineData("a:b", "a_b")]
    [InlineData("__reserved", "_reserved")]
    [InlineData("http.route", "http_route")]
    public void Label_names_are_sanitised(string input, string expected) =>
        Assert.Equal(expected, PrometheusText.SanitizeLabelName(input));

    [Theory]
    [InlineData("s", "seconds")]
    [InlineData("ms", "milliseconds")]
    [InlineData("By", "bytes")]
    [InlineData("By/s", "bytes_per_second")]
    [InlineData("{record}/s", "per_second")]
    [InlineData("{record}", "")]
    [InlineData("1", "")]
    [InlineData(null, "")]
    [InlineData("%", "percent")]
    public void Units_become_suffixes(string? unit, string expected) =>
        Assert.Equal(expected, PrometheusText.UnitSuffix(unit));

    [Theory]
    [InlineData("align_step_duration", "s", false, "align_step_duration_seconds")]
    [InlineData("align_step_duration_seconds", "s", false, "align_step_duration_seconds")]
    [InlineData("align_records", "{record}", true, "align_records_total")]
    [InlineData("align_records_total", null, true, "align_records_total")]
    [InlineData("align_io", "By", true, "align_io_bytes_total")]
    [InlineData("align_io_total", "By", true, "align_io_bytes_total")]
    [InlineData("align.queue-depth", null, false, "align_queue_depth")]
    public void Family_names_get_unit_then_total(string name, string? unit, bool counter, string expected) =>
        Assert.Equal(expected, PrometheusText.FamilyName(name, unit, counter));

    [Fact]
    public void Label_values_escape_backslash_quote_and_newline()
    {
        Assert.Equal(@"a\\b\""c\nd", PrometheusText.EscapeLabelValue("a\\b\"c\nd"));
        Assert.Equal("plain", PrometheusText.EscapeLabelValue("plain"));
    }

    [Fact]
    public void Help_escapes_backslash_and_newline_but_not_quotes() =>
        Assert.Equal(@"say ""hi"" \\ twice\nok", PrometheusText.EscapeHelp("say \"hi\" \\ twice\nok"));

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e21, "1E+21")]
    [InlineData(3.0, "3")]
    public void Values_format_for_prometheus(double value, string expected) =>
        Assert.Equal(expected, PrometheusText.FormatValue(value));

    [Fact]
    public void Tag_values_format_invariantly() =>
        Assert.Equal(["", "true", "1.5", "42", "x"], new object?[] { null, true, 1.5, 42L, "x" }.Select(PrometheusText.FormatTagValue));
}
