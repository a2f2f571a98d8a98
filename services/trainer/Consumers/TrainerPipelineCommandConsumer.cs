using AlignStream.Contracts.Events;
using AlignStream.Trainer.Worker;
using MassTransit;

namespace AlignStream.Trainer.Consumers;

/// <summary>Applies operator commands (pause, resume, drain) to the trainer loop.</summary>
public sealed class TrainerPipelineCommandConsumer(TrainerControl control) : IConsumer<PipelineCommand>
{
    /// <summary>Endpoint (queue) name, distinct from the other stages' so each stage gets its own copy.</summary>
    public const string EndpointName = "trainer-pipeline-command";

    /// <inheritdoc />
    public Task Consume(ConsumeContext<PipelineCommand> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        switch (context.Message.Action)
        {
            case PipelineAction.Pause:
                control.Pause();
                break;
            case PipelineAction.Resume:
                control.Resume();
                break;
            case PipelineAction.Drain:
                control.RequestDrain();
                break;
        }
        return Task.CompletedTask;
    }
}
