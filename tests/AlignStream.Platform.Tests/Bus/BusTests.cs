using AlignStream.Contracts.Events;
using AlignStream.Platform.Bus;
using AlignStream.Platform.Metrics;
using AlignStream.Platform.Tests.Fixtures;
using MassTransit;
using Microsoft.Extensions.Hosting;

namespace AlignStream.Platform.Tests.Bus;

/// <summary>Publishing and consuming control-plane events through <see cref="BusServiceCollectionExtensions.AddAlignBus"/>.</summary>
public static class BusTests
{
    /// <summary>A message with every field set to a distinct value.</summary>
    public static PolicyWeightsPublished Sample(long version) => new(
        version, version * 100, $"file:weights/{version}.safetensors", new string('c', 64), 98_765, "hmac-" + version, version - 1);

    /// <summary>Starts a host whose bus has the <see cref="PolicyWeightsRecorder"/> consumer; the caller disposes it.</summary>
    public static async Task<IHost> StartAsync(PolicyInbox inbox, params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.Services.AddSingleton(inbox);
        builder.Services.AddAlignBus(builder.Configuration, x => x.AddConsumer<PolicyWeightsRecorder>());
        var host = builder.Build();
        // Listen before anything is published.
        host.Services.GetRequiredService<PrometheusMetricsCollector>();
        await host.StartAsync().ConfigureAwait(false);
        return host;
    }

    /// <summary>Publishes <paramref name="message"/> and waits (bounded) until the consumer has it.</summary>
    public static async Task<PolicyWeightsPublished> PublishAndReceiveAsync(IHost host, PolicyInbox inbox, PolicyWeightsPublished message, string transport)
    {
        await host.Services.GetRequiredService<IBus>().Publish(message).ConfigureAwait(false);
        try
        {
            return await inbox.Received.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{transport}: consumer did not receive PolicyWeightsPublished v{message.Version} within 60 s ({inbox.Attempts} attempts).", ex);
        }
    }
}

/// <summary>The in-memory transport (single-process mode).</summary>
public sealed class InMemoryBusTests
{
    [Fact]
    public async Task Consumer_receives_the_published_event_with_the_same_fields()
    {
        var inbox = new PolicyInbox();
        using var host = await BusTests.StartAsync(inbox, ("Bus:Transport", "InMemory"));
        var sent = BusTests.Sample(12);
        Assert.Equal(sent, await BusTests.PublishAndReceiveAsync(host, inbox, sent, "in-memory"));
        await host.StopAsync();
    }

    [Fact]
    public async Task Retry_middleware_redelivers_until_the_consumer_succeeds_and_metrics_count_it()
    {
        var inbox = new PolicyInbox { FailFirst = 2 };
        using var host = await BusTests.StartAsync(inbox, ("Bus:Transport", "InMemory"), ("Bus:RetryLimit", "3"), ("Bus:RetryIntervalMs", "1"));
        var sent = BusTests.Sample(13);
        Assert.Equal(sent, await BusTests.PublishAndReceiveAsync(host, inbox, sent, "in-memory with retries"));
        Assert.Equal(3, inbox.Attempts);

        var collector = host.Services.GetRequiredService<PrometheusMetricsCollector>();
        await Eventually.WaitAsync(
            () => collector.Collect().Contains("align_bus_consumed_messages_total{message_type=\"PolicyWeightsPublished\",outcome=\"ok\"} 1\n", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the consume observer to count the successful delivery", collector.Collect);
        Assert.Contains("align_bus_published_messages_total{message_type=\"PolicyWeightsPublished\"} 1\n", collector.Collect(), StringComparison.Ordinal);
        await host.StopAsync();
    }
}

/// <summary>The RabbitMQ transport against a real rabbitmq-server on loopback (distributed mode).</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqBusTests(RabbitMqFixture rabbit)
{
    [Fact]
    public async Task Consumer_receives_the_published_event_over_rabbitmq()
    {
        var inbox = new PolicyInbox();
        var prefix = "t" + Guid.NewGuid().ToString("N")[..8];
        using var host = await BusTests.StartAsync(inbox,
            ("Bus:Transport", "RabbitMq"), ("RabbitMq:Uri", rabbit.Uri), ("Bus:EndpointPrefix", prefix));
        var sent = BusTests.Sample(21);
        Assert.Equal(sent, await BusTests.PublishAndReceiveAsync(host, inbox, sent, $"rabbitmq on port {rabbit.Port}"));
        await host.StopAsync();
    }

    [Fact]
    public async Task Replicas_with_their_own_endpoint_prefix_each_receive_the_event()
    {
        var first = new PolicyInbox();
        var second = new PolicyInbox();
        using var a = await BusTests.StartAsync(first, ("Bus:Transport", "RabbitMq"), ("RabbitMq:Uri", rabbit.Uri), ("Bus:EndpointPrefix", "gen-a" + Guid.NewGuid().ToString("N")[..6]));
        using var b = await BusTests.StartAsync(second, ("Bus:Transport", "RabbitMq"), ("RabbitMq:Uri", rabbit.Uri), ("Bus:EndpointPrefix", "gen-b" + Guid.NewGuid().ToString("N")[..6]));
        var sent = BusTests.Sample(22);
        // Published once from a, consumed by both a and b: each replica has its own queue bound to the event.
        Assert.Equal(sent, await BusTests.PublishAndReceiveAsync(a, first, sent, "rabbitmq fan-out to replica a"));
        Assert.Equal(sent, await second.Received.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        await a.StopAsync();
        await b.StopAsync();
    }
}
