using System.Diagnostics.Metrics;
using System.Text;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>The Kafka instruments as Prometheus text: the documented names, and promtool accepts them.</summary>
public sealed class KafkaMetricsExpositionTests
{
    [Fact]
    public void Kafka_instruments_expose_valid_prometheus_names()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var collector = new PrometheusMetricsCollector(m => ReferenceEquals(m.Scope, factory));
        var instruments = new KafkaInstruments(factory);
        instruments.RecordProduced("align.prompts", ok: true, seconds: 0.0003);
        instruments.RecordProduced("align.prompts", ok: false, seconds: 0.2);
        instruments.RecordConsumed("scorer", "align.candidates");
        instruments.HandlerCompleted("scorer", batch: true, seconds: 0.02);
        instruments.HandlerRetried("scorer");
        instruments.RecordDeadLettered("scorer", "align.candidates", DeadLetterWriter.DecodeKind);
        instruments.PartitionsChanged("scorer", "assigned", 4);
        instruments.OffsetsCommitted("scorer", "ok");
        instruments.ClientError("consumer", fatal: false);
        using var lag = instruments.AddLagSource(() => [new Measurement<long>(7, new("stage", "scorer"), new("topic", "align.candidates"), new("partition", "3"))]);

        var text = collector.Collect();
        Assert.Contains("align_kafka_records_produced_total{outcome=\"ok\",topic=\"align.prompts\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("align_kafka_produce_duration_seconds_bucket{topic=\"align.prompts\",le=\"0.0005\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("align_kafka_dlq_records_total{reason_kind=\"decode\",source_topic=\"align.candidates\",stage=\"scorer\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("align_kafka_consumer_lag_records{partition=\"3\",stage=\"scorer\",topic=\"align.candidates\"} 7", text, StringComparison.Ordinal);
        Assert.Contains("align_kafka_handler_duration_seconds_count{mode=\"batch\",stage=\"scorer\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("align_kafka_rebalance_partitions_total{change=\"assigned\",stage=\"scorer\"} 4", text, StringComparison.Ordinal);

        var (code, stdout, stderr) = ExternalTool.Run("promtool", ["check", "metrics"], TimeSpan.FromSeconds(30), "promtool checks the Kafka exposition", Encoding.UTF8.GetBytes(text));
        Assert.True(code == 0, $"promtool exit {code}: {Encoding.UTF8.GetString(stdout)} {stderr}\n{text}");
    }
}
