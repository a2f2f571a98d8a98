using System.Diagnostics;
using AlignStream.Platform.Kafka;
using Confluent.Kafka;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>Unit tests: W3C traceparent written and read back.</summary>
public sealed class KafkaTracingTests
{
    [Fact]
    public void Traceparent_round_trips_through_headers()
    {
        using var activity = new Activity("t").SetIdFormat(ActivityIdFormat.W3C);
        activity.SetParentId(ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c"), ActivitySpanId.CreateFromString("b7ad6b7169203331"), ActivityTraceFlags.Recorded);
        activity.Start();
        var headers = new Headers();
        headers.AddString(KafkaHeaderNames.TraceParent, "stale");
        KafkaTracing.Inject(activity, headers);

        // Exactly one traceparent, in the W3C form version-traceid-spanid-flags.
        Assert.Single(headers, h => h.Key == KafkaHeaderNames.TraceParent);
        var written = headers.GetString(KafkaHeaderNames.TraceParent)!;
        Assert.Equal($"00-0af7651916cd43dd8448eb211c80319c-{activity.SpanId}-01", written);

        var context = KafkaTracing.Extract(headers);
        Assert.Equal(activity.TraceId, context.TraceId);
        Assert.Equal(activity.SpanId, context.SpanId);
        Assert.True(context.IsRemote);
    }

    [Fact]
    public void Missing_or_malformed_traceparent_gives_no_parent()
    {
        Assert.Equal(default, KafkaTracing.Extract(null));
        Assert.Equal(default, KafkaTracing.Extract(new Headers()));
        Assert.Equal(default, KafkaTracing.Extract(new Headers().AddString(KafkaHeaderNames.TraceParent, "00-xyz")));
    }
}
