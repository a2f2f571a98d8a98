using AlignStream.Contracts;
using AlignStream.Contracts.Records;
using AlignStream.Generator.Decoding;
using AlignStream.Generator.Options;
using AlignStream.Generator.Policy;
using Microsoft.Extensions.Options;

namespace AlignStream.Generator.Handling;

/// <summary>
/// Turns a prompt record into what the decoder needs (tokens, sampling), or says why it can never be generated
/// (a permanent rejection that sends it to the dead-letter topic).
/// </summary>
public sealed class PromptPreparer
{
    private readonly PolicyRuntime _policy;
    private readonly GeneratorOptions _options;
    private readonly int[] _stopTokens;
    private readonly int _maxPromptTokens;

    /// <summary>Creates the preparer for the served policy's tokenizer and the decoder's slot size.</summary>
    public PromptPreparer(PolicyRuntime policy, ContinuousBatchDecoder decoder, IOptions<GeneratorOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(decoder);
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        _options = options.Value;
        // A slot must hold the prompt and at least one generated token; a step must hold it beside the running sequences.
        _maxPromptTokens = Math.Min(_options.MaxPromptTokens, Math.Min(decoder.Capacity - 1, decoder.MaxStepTokens - decoder.Slots));
        var eos = policy.Tokenizer.EosId is int id ? [id] : policy.Model.Config.EosTokenIds.ToArray();
        _stopTokens = _options.StopAtEos ? eos : [];
    }

    /// <summary>Stop tokens every candidate ends at.</summary>
    public IReadOnlyList<int> StopTokens => _stopTokens;

    /// <summary>Tokens (BOS first when the tokenizer has one) and sampling of <paramref name="prompt"/>, or a rejection.</summary>
    public PromptPreparation Prepare(Prompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.SchemaVersion > RecordSchema.Version)
        {
            return PromptPreparation.Rejected("schema", $"schema_version {prompt.SchemaVersion} is newer than this generator reads ({RecordSchema.Version}); upgrade the generator");
        }
        if (string.IsNullOrWhiteSpace(prompt.PromptId))
        {
            return PromptPreparation.Rejected("missing_id", "prompt_id is empty; every prompt needs a stable id (align prompts push derives one)");
        }
        var sampling = _options.SamplingFor(prompt.Task ?? "", _stopTokens);
        if (sampling is null)
        {
            var known = string.Join(", ", _options.Tasks.Keys.Order(StringComparer.Ordinal));
            return PromptPreparation.Rejected("unknown_task",
                $"task '{prompt.Task}' has no Generator:Tasks entry (configured: {(known.Length == 0 ? "none" : known)}); add one, or set Generator:UnknownTask=Default");
        }
        var text = _policy.Tokenizer.Encode(prompt.Text ?? "");
        var bos = _policy.Tokenizer.BosId;
        int[] tokens;
        if (bos is int b)
        {
            tokens = new int[text.Length + 1];
            tokens[0] = b;
            text.CopyTo(tokens, 1);
        }
        else
        {
            tokens = text;
        }
        if (tokens.Length == 0)
        {
            return PromptPreparation.Rejected("empty", "the prompt text is empty and the tokenizer has no BOS token to start from");
        }
        if (tokens.Length > _options.MaxPromptTokens)
        {
            return PromptPreparation.Rejected("too_long",
                $"prompt has {tokens.Length} tokens, above Generator:MaxPromptTokens={_options.MaxPromptTokens}; shorten it or raise the limit");
        }
        if (tokens.Length > _maxPromptTokens)
        {
            return PromptPreparation.Rejected("too_long",
                $"prompt has {tokens.Length} tokens; the model's context ({_policy.Model.Config.MaxPositionEmbeddings} positions) leaves room for {_maxPromptTokens}; shorten it");
        }
        return new PromptPreparation(tokens, sampling, null, null);
    }
}

/// <summary>The outcome of preparing one prompt: tokens and sampling, or a rejection kind and reason.</summary>
/// <param name="Tokens">Prompt token ids when accepted.</param>
/// <param name="Sampling">Sampling when accepted.</param>
/// <param name="RejectionKind">Short label for metrics (too_long, unknown_task, empty, schema, missing_id).</param>
/// <param name="Reason">The sentence that goes into the dead-letter header.</param>
public sealed record PromptPreparation(int[]? Tokens, ResolvedSampling? Sampling, string? RejectionKind, string? Reason)
{
    /// <summary>True when the prompt can be generated.</summary>
    public bool Accepted => Tokens is not null;

    /// <summary>A rejection.</summary>
    public static PromptPreparation Rejected(string kind, string reason) => new(null, null, kind, reason);
}
