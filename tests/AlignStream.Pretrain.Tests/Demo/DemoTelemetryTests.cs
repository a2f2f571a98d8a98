using System.Diagnostics.Metrics;
using AlignStream.Cli.Demo;

namespace AlignStream.Pretrain.Tests.Demo;

/// <summary>The in-process reader of the pipeline's instruments behind the live view, the feeder and the report.</summary>
public sealed class DemoTelemetryTests
{
    [Fact]
    public void Counters_histograms_and_gauges_are_read_by_name_and_tag()
    {
        using var telemetry = new DemoTelemetry();
        using var meter = new Meter("AlignStream.Test." + Guid.NewGuid().ToString("N"));
        var version = 0L;
        var sets = meter.CreateCounter<long>("align_test_sets");
        var rewards = meter.CreateHistogram<double>("align_test_reward");
        meter.CreateObservableGauge("align_test_version", () => version);
        var ignored = meter.CreateCounter<long>("other_sets");

        sets.Add(3);
        sets.Add(4);
        ignored.Add(100);
        rewards.Record(1.0, new KeyValuePair<string, object?>("reward_model", "afinn"), new KeyValuePair<string, object?>("task", "sentiment"));
        rewards.Record(3.0, new KeyValuePair<string, object?>("reward_model", "afinn"), new KeyValuePair<string, object?>("task", "arith"));
        rewards.Record(0.5, new KeyValuePair<string, object?>("reward_model", "arith"), new KeyValuePair<string, object?>("task", "arith"));

        Assert.Equal(7, telemetry.Sum("align_test_sets"));
        Assert.Equal(0, telemetry.Sum("other_sets"));
        Assert.Equal(2.0, telemetry.Mean("align_test_reward", "reward_model", "afinn"));
        Assert.Equal(3, telemetry.Count("align_test_reward"));
        Assert.Equal(new Dictionary<string, double> { ["afinn"] = 2.0, ["arith"] = 0.5 }, telemetry.MeanBy("align_test_reward", "reward_model"));
        Assert.Equal(new Dictionary<string, double> { ["afinn"] = 3.0, ["arith"] = 0.5 }, telemetry.SumBy("align_test_reward", "reward_model", "task", "arith"));
        Assert.True(double.IsNaN(telemetry.Mean("align_test_reward", "reward_model", "toxicity")));

        Assert.True(double.IsNaN(telemetry.Last("align_test_version")));
        version = 5;
        telemetry.Refresh();
        Assert.Equal(5, telemetry.Last("align_test_version"));
        version = 6;
        telemetry.Refresh();
        Assert.Equal(6, telemetry.Last("align_test_version"));
    }
}
