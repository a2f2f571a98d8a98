using AlignStream.Platform.Metrics;
using MassTransit;

namespace AlignStream.Platform.Bus;

/// <summary>Counts control-plane messages published and consumed (by message type and outcome).</summary>
internal sealed class BusMetricsObserver(PlatformInstruments instruments) : IConsumeObserver, IPublishObserver
{
    public Task PreConsume<T>(ConsumeContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context)
        where T : class
    {
        instruments.MessageConsumed(typeof(T).Name, ok: true);
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
        where T : class
    {
        instruments.MessageConsumed(typeof(T).Name, ok: false);
        return Task.CompletedTask;
    }

    public Task PrePublish<T>(PublishContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context)
        where T : class
    {
        instruments.MessagePublished(typeof(T).Name);
        return Task.CompletedTask;
    }

    public Task PublishFault<T>(PublishContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;
}
