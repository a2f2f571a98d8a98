using System.Diagnostics;
using AlignStream.Contracts;
using AlignStream.Contracts.Records;
using AlignStream.Engine.Inference;
using AlignStream.Generator.Backpressure;
using AlignStream.Generator.Decoding;
using AlignStream.Generator.Logging;
using AlignStream.Generator.Metrics;
using AlignStream.Generator.Options;
using AlignStream.Generator.Policy;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlignStream.Generator.Handling;

/// <summary>
/// Handles a batch of prompts from the consume loop: checks every prompt first (a bad one fails the batch before any
/// work, so the loop isolates and dead-letters it alone), drops prompts already generated, waits out trainer
/// backpressure, submits all candidates to the shared decode batch, and publishes each prompt's
/// <see cref="CandidateSet"/> as soon as it is complete. The task completes only after every set was acknowledged,
/// so the loop stores offsets after the output is durable (at least once).
/// </summary>
public sealed class PromptBatchHandler : IBatchRecordHandler<Prompt>
{
    private readonly Lazy<Parts> _parts;

    /// <summary>
    /// Creates the handler (a singleton shared by the stage's consume loops). Its dependencies (the policy, which
    /// loads the model) are resolved on the first batch, after the host validated the configuration.
    /// </summary>
    public PromptBatchHandler(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _parts = new Lazy<Parts>(() => new Parts(
            services.GetRequiredService<PolicyRuntime>(), services.GetRequiredService<PromptPreparer>(), services.GetRequiredService<ContinuousBatchDecoder>(),
            services.GetRequiredService<IKafkaProducer>(), services.GetRequiredService<KafkaConnection>().Topics.Candidates, services.GetRequiredService<IStateStore>(),
            services.GetRequiredService<TrainerBacklogGate>(), services.GetRequiredService<IOptions<GeneratorOptions>>().Value,
            services.GetRequiredService<GeneratorInstruments>(), services.GetRequiredService<ILogger<PromptBatchHandler>>()));
    }

    private PolicyRuntime Policy => _parts.Value.Policy;

    private PromptPreparer Preparer => _parts.Value.Preparer;

    private ContinuousBatchDecoder Decoder => _parts.Value.Decoder;

    private IKafkaProducer Producer => _parts.Value.Producer;

    private string CandidatesTopic => _parts.Value.CandidatesTopic;

    private IStateStore State => _parts.Value.State;

    private TrainerBacklogGate Backlog => _parts.Value.Backlog;

    private GeneratorOptions Options => _parts.Value.Options;

    private GeneratorInstruments Instruments => _parts.Value.Instruments;

    private ILogger Logger => _parts.Value.Logger;

    /// <summary>The state-store key remembering that <paramref name="promptId"/> was generated and published.</summary>
    public static string DoneKey(string promptId) => "generator:done:" + promptId;

    /// <inheritdoc />
    public async Task HandleBatchAsync(IReadOnlyList<ConsumedRecord<Prompt>> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var prepared = new List<(Prompt Prompt, PromptPreparation Preparation)>(records.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var prompt = record.Value;
            var preparation = Preparer.Prepare(prompt);
            if (!preparation.Accepted)
            {
                // Alone: dead-letter it now. In a batch: fail before any work; the loop retries records one by one.
                if (records.Count == 1)
                {
                    Instruments.PromptRejected(preparation.RejectionKind!);
                    GeneratorLog.PromptRejected(Logger, prompt.PromptId, preparation.Reason!);
                }
                throw new PermanentRecordException(preparation.Reason!);
            }
            if (!seen.Add(prompt.PromptId))
            {
                Instruments.PromptConsumed("duplicate");
                continue;
            }
            prepared.Add((prompt, preparation));
        }

        var fresh = new List<(Prompt Prompt, PromptPreparation Preparation)>(prepared.Count);
        // Which prompts already have a candidate set: the whole batch in one round trip.
        var done = Options.DropDuplicatePrompts
            ? await State.GetValuesAsync(prepared.Select(p => DoneKey(p.Prompt.PromptId)).ToList(), cancellationToken).ConfigureAwait(false)
            : new string?[prepared.Count];
        for (var i = 0; i < prepared.Count; i++)
        {
            var item = prepared[i];
            if (done[i] is { } recordId)
            {
                Instruments.PromptConsumed("duplicate");
                GeneratorLog.DuplicateDropped(Logger, item.Prompt.PromptId, recordId);
                continue;
            }
            fresh.Add(item);
        }
        if (fresh.Count == 0)
        {
            return;
        }

        await Backlog.WaitAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var work = new List<Task>(fresh.Count);
        foreach (var (prompt, preparation) in fresh)
        {
            var request = new GenerationRequest(prompt.PromptId, preparation.Tokens!, preparation.Sampling!,
                GenerationRequest.SeedsFor(Options.Seed, prompt.PromptId, preparation.Sampling!.Candidates));
            Decoder.Submit(request);
            work.Add(PublishWhenDoneAsync(prompt, request, cancellationToken));
        }
        await Task.WhenAll(work).ConfigureAwait(false);
    }

    /// <summary>Builds the record published for one prompt.</summary>
    internal CandidateSet BuildCandidateSet(Prompt prompt, GenerationRequest request, GenerationOutcome outcome)
    {
        var start = outcome.Candidates.Min(c => c.VersionStart);
        var end = outcome.Candidates.Max(c => c.VersionEnd);
        var set = new CandidateSet
        {
            SchemaVersion = RecordSchema.Version,
            RecordId = CandidateSetIds.For(prompt.PromptId, Options.Seed, start),
            Prompt = prompt,
            PolicyVersionStart = start,
            PolicyVersionEnd = end,
            GeneratorId = Options.EffectiveGeneratorId,
            Timings = new Timings { QueueMs = outcome.QueueTime.TotalMilliseconds, GenerateMs = outcome.GenerateTime.TotalMilliseconds },
        };
        set.PromptTokens.AddRange(request.PromptTokens);
        set.PromptEmbedding.AddRange(outcome.PromptEmbedding);
        foreach (var c in outcome.Candidates)
        {
            var candidate = new Candidate
            {
                Text = Policy.Tokenizer.Decode(c.Tokens, skipSpecialTokens: true),
                FinishReason = c.StopReason == StopReason.StopToken ? "stop" : "length",
                SamplingSeed = c.Seed,
                PolicyVersionStart = c.VersionStart,
                PolicyVersionEnd = c.VersionEnd,
            };
            candidate.Tokens.AddRange(c.Tokens);
            candidate.BehaviorLogprobs.AddRange(c.LogProbs);
            set.Candidates.Add(candidate);
        }
        return set;
    }

    private async Task PublishWhenDoneAsync(Prompt prompt, GenerationRequest request, CancellationToken cancellationToken)
    {
        var submitted = Stopwatch.GetTimestamp();
        GenerationOutcome outcome;
        try
        {
            outcome = await request.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the decode loop outlives the consume loops, so let what is already in the batch finish
            // and be published rather than regenerated after the restart.
            outcome = await request.Completion.WaitAsync(TimeSpan.FromSeconds(Options.DrainTimeoutSeconds), CancellationToken.None).ConfigureAwait(false);
        }
        var set = BuildCandidateSet(prompt, request, outcome);
        await Producer.ProduceAsync(CandidatesTopic, prompt.PromptId, set, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        foreach (var c in outcome.Candidates)
        {
            Instruments.CandidateFinished(c.StopReason == StopReason.StopToken ? "stop" : "length");
        }
        Instruments.PromptConsumed("generated");
        Instruments.SetPublished(Stopwatch.GetElapsedTime(submitted));
        if (Options.DropDuplicatePrompts)
        {
            await State.SetValueAsync(DoneKey(prompt.PromptId), set.RecordId, TimeSpan.FromMinutes(Options.DuplicateWindowMinutes), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private sealed record Parts(
        PolicyRuntime Policy, PromptPreparer Preparer, ContinuousBatchDecoder Decoder, IKafkaProducer Producer, string CandidatesTopic,
        IStateStore State, TrainerBacklogGate Backlog, GeneratorOptions Options, GeneratorInstruments Instruments, ILogger Logger);
}
