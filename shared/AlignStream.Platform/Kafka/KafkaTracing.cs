using System.Diagnostics;
using Confluent.Kafka;

namespace AlignStream.Platform.Kafka;

/// <summary>
/// W3C trace context across Kafka: the producer writes a <c>traceparent</c> header from the current
/// activity; the consume loop starts its activity with that header as parent, so a prompt's journey
/// through every stage is one trace.
/// </summary>
public static class KafkaTracing
{
    /// <summary>Name of the activity source; subscribe to it (OpenTelemetry AddSource) to record spans.</summary>
    public const string SourceName = "AlignStream.Kafka";

    /// <summary>The activity source for produce and process spans.</summary>
    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>Writes traceparent (and tracestate) of <paramref name="activity"/>; replaces existing ones.</summary>
    public static void Inject(Activity? activity, Headers headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return;
        }
        headers.Remove(KafkaHeaderNames.TraceParent);
        headers.Remove(KafkaHeaderNames.TraceState);
        headers.AddString(KafkaHeaderNames.TraceParent, activity.Id!);
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            headers.AddString(KafkaHeaderNames.TraceState, activity.TraceStateString);
        }
    }

    /// <summary>The parent context carried by the headers, or default when there is none or it is malformed.</summary>
    public static ActivityContext Extract(Headers? headers)
    {
        var parent = headers.GetString(KafkaHeaderNames.TraceParent);
        if (parent is null)
        {
            return default;
        }
        var state = headers.GetString(KafkaHeaderNames.TraceState);
        return ActivityContext.TryParse(parent, state, isRemote: true, out var context) ? context : default;
    }

    /// <summary>Links to the traces of a batch's other records (a span has one parent; the rest are links).</summary>
    internal static IEnumerable<ActivityLink>? LinksOf(IEnumerable<Headers?> headers)
    {
        List<ActivityLink>? links = null;
        foreach (var h in headers)
        {
            var context = Extract(h);
            if (context != default)
            {
                (links ??= []).Add(new ActivityLink(context));
            }
        }
        return links;
    }

    /// <summary>Starts a producer span for a topic (null when nobody listens).</summary>
    internal static Activity? StartProduce(string topic)
    {
        var activity = Source.StartActivity($"{topic} publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "kafka");
        activity?.SetTag("messaging.destination.name", topic);
        return activity;
    }

    /// <summary>Starts a consumer span whose parent is the record's traceparent.</summary>
    internal static Activity? StartProcess(string stage, string topic, int partition, long offset, Headers? headers, IEnumerable<ActivityLink>? links = null)
    {
        var activity = Source.StartActivity($"{topic} process", ActivityKind.Consumer, Extract(headers), links: links);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.source.name", topic);
            activity.SetTag("messaging.kafka.partition", partition);
            activity.SetTag("messaging.kafka.offset", offset);
            activity.SetTag("align.stage", stage);
        }
        return activity;
    }
}
