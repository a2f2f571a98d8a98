using AlignStream.Engine.Model;
using AlignStream.Engine.Sampling;

namespace AlignStream.Engine.Inference;

/// <summary>
/// Samples continuations for a batch of prompts of different lengths: one batched prefill, then one
/// batched decode step per new token over the still-active sequences, each with its own RNG. A logits
/// processor, when given, edits each sequence's logits before sampling; the reported log-probs stay
/// those of the raw model distribution.
/// </summary>
public sealed class Generator
{
    private readonly DecodeSession _session;
    private readonly float[] _scratch;
    private readonly float[] _edited;

    /// <summary>A generator for up to <paramref name="maxBatch"/> prompts with prompt+output up to <paramref name="capacity"/> tokens.</summary>
    public Generator(LlamaModel model, int maxBatch, int capacity, int? maxPrefillTokens = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _session = new DecodeSession(model, maxBatch, capacity, maxPrefillTokens ?? (maxBatch * capacity));
        _scratch = new float[Sampler.ScratchLength(model.Config.VocabSize)];
        _edited = new float[model.Config.VocabSize];
    }

    /// <summary>The decode session (exposed for continuous batching callers and tests).</summary>
    public DecodeSession Session => _session;

    /// <summary>
    /// Generates for each prompt. <paramref name="rngs"/> holds one RNG per prompt and is advanced in
    /// place, so the same seeds give the same tokens.
    /// </summary>
    public GenerationResult[] Generate(IReadOnlyList<int[]> prompts, SamplingOptions options, Xoshiro256[] rngs, ILogitsProcessor? processor = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rngs);
        var vocab = _session.Model.Config.VocabSize;
        options.Validate(vocab);
        var b = prompts.Count;
        if (b > _session.Cache.Slots)
        {
            throw new ArgumentException($"{b} prompts exceed this generator's batch of {_session.Cache.Slots}", nameof(prompts));
        }
        if (rngs.Length != b)
        {
            throw new ArgumentException($"need one RNG per prompt: {rngs.Length} for {b} prompts", nameof(rngs));
        }
        var capacity = _session.Cache.Capacity;
        // One weights version for the whole generation, so every behaviour log-prob belongs to it.
        var weights = _session.Model.Weights;
        var history = new int[b][];
        var lengths = new int[b];
        var outTokens = new List<int>[b];
        var outLogps = new List<float>[b];
        var reasons = new StopReason[b];
        var active = new List<int>(b);
        var promptTokens = 0;
        for (var i = 0; i < b; i++)
        {
            var p = prompts[i];
            if (p.Length == 0)
            {
                throw new ArgumentException($"prompt {i} is empty; start it with the BOS token", nameof(prompts));
            }
            if (p.Length >= capacity)
            {
                throw new ArgumentException($"prompt {i} has {p.Length} tokens; the context holds {capacity}", nameof(prompts));
            }
            history[i] = new int[Math.Min(capacity, p.Length + options.MaxNewTokens)];
            p.CopyTo(history[i], 0);
            lengths[i] = p.Length;
            outTokens[i] = new List<int>(options.MaxNewTokens);
            outLogps[i] = new List<float>(options.MaxNewTokens);
            _session.Cache.Reset(i);
            promptTokens += p.Length;
            active.Add(i);
        }
        var slots = new int[b];
        var counts = new int[b];
        var feed = new int[Math.Max(promptTokens, b)];
        // Prefill: all prompts in one packed step.
        var n = 0;
        for (var i = 0; i < b; i++)
        {
            slots[i] = i;
            counts[i] = prompts[i].Length;
            prompts[i].CopyTo(feed, n);
            n += prompts[i].Length;
        }
        var logits = _session.Step(slots.AsSpan(0, b), feed.AsSpan(0, n), counts.AsSpan(0, b), weights);
        while (active.Count > 0 && options.MaxNewTokens > 0)
        {
            var next = 0;
            for (var a = 0; a < active.Count; a++)
            {
                var i = active[a];
                var row = logits.Slice(a * vocab, vocab);
                SampledToken pick;
                if (processor is null)
                {
                    pick = Sampler.Sample(row, ref rngs[i], options, _scratch);
                }
                else
                {
                    row.CopyTo(_edited);
                    processor.Process(i, history[i].AsSpan(0, lengths[i]), _edited);
                    pick = Sampler.Sample(_edited, row, ref rngs[i], options, _scratch);
                }
                outTokens[i].Add(pick.Token);
                outLogps[i].Add(pick.LogProb);
                history[i][lengths[i]++] = pick.Token;
                if (options.IsStop(pick.Token))
                {
                    reasons[i] = StopReason.StopToken;
                }
                else if (outTokens[i].Count >= options.MaxNewTokens)
                {
                    reasons[i] = StopReason.MaxTokens;
                }
                else if (lengths[i] >= capacity)
                {
                    reasons[i] = StopReason.ContextFull;
                }
                else
                {
                    slots[next] = i;
                    counts[next] = 1;
                    feed[next] = pick.Token;
                    next++;
                }
            }
            active.Clear();
            for (var a = 0; a < next; a++)
            {
                active.Add(slots[a]);
            }
            if (next == 0)
            {
                break;
            }
            logits = _session.Step(slots.AsSpan(0, next), feed.AsSpan(0, next), counts.AsSpan(0, next), weights);
        }
        var results = new GenerationResult[b];
        for (var i = 0; i < b; i++)
        {
            results[i] = new GenerationResult([.. outTokens[i]], [.. outLogps[i]], options.MaxNewTokens == 0 ? StopReason.MaxTokens : reasons[i], weights.Version);
        }
        return results;
    }
}
