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
    private readonly PolicyRuntime _policy;
    private readonly PromptPreparer _preparer;
    private readonly ContinuousBatchDecoder _decoder;
    private readonly IKafkaProducer _producer;
    private readonly string _candidatesTopic;
    private readonly IStateStore _state;
    private readonly TrainerBacklogGate _backlog;
    private readonly GeneratorOptions _options;
    private readonly GeneratorInstruments _instruments;
    private readonly ILogger _logger;

    /// <summary>Creates the handler (a singleton shared by the stage's consume loops).</summary>
    public PromptBatchHandler(PolicyRuntime policy, PromptPreparer preparer, ContinuousBatchDecoder decoder, IKafkaProducer producer, KafkaConnection connection,
        IStateStore state, TrainerBacklogGate backlog, IOptions<GeneratorOptions> options, GeneratorInstruments instruments, ILogger<PromptBatchHandler> logger)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        _policy = policy;
        _preparer = preparer;
        _decoder = decoder;
        _producer = producer;
        _candidatesTopic = connection.Topics.Candidates;
        _state = state;
        _backlog = backlog;
        _options = options.Value;
        _instruments = instruments;
        _logger = logger;
    }

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
            var preparation = _preparer.Prepare(prompt);
            if (!preparation.Accepted)
            {
                // Alone: dead-letter it now. In a batch: fail before any work; the loop retries records one by one.
                if (records.Count == 1)
                {
                    _instruments.PromptRejected(preparation.RejectionKind!);
                    GeneratorLog.PromptRejected(_logger, prompt.PromptId, preparation.Reason!);
                }
                throw new PermanentRecordException(preparation.Reason!);
            }
            if (!seen.Add(prompt.PromptId))
            {
                _instruments.PromptConsumed("duplicate");
                continue;
            }
            prepared.Add((prompt, preparation));
        }

        var fresh = new List<(Prompt Prompt, PromptPreparation Preparation)>(prepared.Count);
        foreach (var item in prepared)
        {
            if (_options.DropDuplicatePrompts && await _state.GetValueAsync(DoneKey(item.Prompt.PromptId), cancellationToken).ConfigureAwait(false) is { } recordId)
            {
                _instruments.PromptConsumed("duplicate");
                GeneratorLog.DuplicateDropped(_logger, item.Prompt.PromptId, recordId);
                continue;
            }
            fresh.Add(item);
        }
        if (fresh.Count == 0)
        {
            return;
        }

        await _backlog.WaitAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var work = new List<Task>(fresh.Count);
        foreach (var (prompt, preparation) in fresh)
        {
            var request = new GenerationRequest(prompt.PromptId, preparation.Tokens!, preparation.Sampling!,
                GenerationRequest.SeedsFor(_options.Seed, prompt.PromptId, preparation.Sampling!.Candidates));
            _decoder.Submit(request);
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
            RecordId = CandidateSetIds.For(prompt.PromptId, _options.Seed, start),
            Prompt = prompt,
            PolicyVersionStart = start,
            PolicyVersionEnd = end,
            GeneratorId = _options.EffectiveGeneratorId,
            Timings = new Timings { QueueMs = outcome.QueueTime.TotalMilliseconds, GenerateMs = outcome.GenerateTime.TotalMilliseconds },
        };
        set.PromptTokens.AddRange(request.PromptTokens);
        set.PromptEmbedding.AddRange(outcome.PromptEmbedding);
        foreach (var c in outcome.Candidates)
        {
            var candidate = new Candidate
            {
                Text = _policy.Tokenizer.Decode(c.Tokens, skipSpecialTokens: true),
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
            outcome = await request.Completion.WaitAsync(TimeSpan.FromSeconds(_options.DrainTimeoutSeconds), CancellationToken.None).ConfigureAwait(false);
        }
        var set = BuildCandidateSet(prompt, request, outcome);
        await _producer.ProduceAsync(_candidatesTopic, prompt.PromptId, set, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        foreach (var c in outcome.Candidates)
        {
            _instruments.CandidateFinished(c.StopReason == StopReason.StopToken ? "stop" : "length");
        }
        _instruments.PromptConsumed("generated");
        _instruments.SetPublished(Stopwatch.GetElapsedTime(submitted));
        if (_options.DropDuplicatePrompts)
        {
            await _state.SetValueAsync(DoneKey(prompt.PromptId), set.RecordId, TimeSpan.FromMinutes(_options.DuplicateWindowMinutes), CancellationToken.None).ConfigureAwait(false);
        }
    }
}
