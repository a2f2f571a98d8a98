using System.Reflection;
using System.Text.RegularExpressions;
using AlignStream.Platform.Metrics;

namespace AlignStream.Platform.Tests.Metrics;

/// <summary>Guards the one file of metric names that every area adds to.</summary>
public sealed partial class MetricNamesTests
{
    private static IEnumerable<(string Field, string Value)> InstrumentNames() =>
        typeof(MetricNames).GetNestedTypes()
            .Where(t => t != typeof(MetricNames.Meters))
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral)
                .Select(f => ($"{t.Name}.{f.Name}", (string)f.GetRawConstantValue()!)));

    [Fact]
    public void Instrument_names_are_prometheus_snake_case_without_the_suffixes_the_exposition_adds()
    {
        var names = InstrumentNames().ToList();
        Assert.NotEmpty(names);
        Assert.All(names, n =>
        {
            Assert.True(SnakeCase().IsMatch(n.Value), $"{n.Field} = '{n.Value}' must match align_[a-z0-9_]+");
            Assert.False(n.Value.EndsWith("_total", StringComparison.Ordinal), $"{n.Field}: the exposition adds _total to counters");
        });
    }

    [Fact]
    public void Instrument_names_are_unique() =>
        Assert.All(InstrumentNames().GroupBy(n => n.Value), g =>
            Assert.True(g.Count() == 1, $"'{g.Key}' is used by {string.Join(", ", g.Select(n => n.Field))}"));

    [Fact]
    public void Meter_names_share_the_listened_prefix() =>
        Assert.All(
            typeof(MetricNames.Meters).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral),
            f => Assert.StartsWith(MetricNames.Meters.Prefix, (string)f.GetRawConstantValue()!, StringComparison.Ordinal));

    [GeneratedRegex("^align_[a-z0-9_]+$")]
    private static partial Regex SnakeCase();
}
