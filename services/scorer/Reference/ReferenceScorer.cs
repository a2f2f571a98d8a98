using AlignStream.Alignment.Selection;
using AlignStream.Engine.Training;
using AlignStream.Platform.Metrics;

namespace AlignStream.Scorer.Reference;

/// <summary>
/// Reference log-probs, entropies and hidden states of many candidates, packed into as few engine forward
/// passes as the token capacity allows. Row n of a packed sequence scores token n+1 (the engine's
/// convention), so response token t of a prompt of length P is read at row P + t − 1 and its entropy
/// H_t (the distribution after t, which predicts t+1) at row P + t. Not thread-safe: one consume loop owns it.
/// </summary>
public sealed class ReferenceScorer
{
    private const int MaxSequencesPerPass = 256;
    private readonly ReferenceModel _reference;
    private readonly int _maxTokens;
    private readonly Action<double>? _engineCpu;
    private TrainingSession? _session;

    /// <summary>
    /// Creates the scorer; buffers for <paramref name="maxTokens"/> tokens are allocated on first use.
    /// <paramref name="engineCpu"/>, when given, receives the CPU seconds of each call's forward passes.
    /// </summary>
    public ReferenceScorer(ReferenceModel reference, int maxTokens, Action<double>? engineCpu = null)
    {
        _reference = reference ?? throw new ArgumentNullException(nameof(reference));
        _engineCpu = engineCpu;
        if (maxTokens < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "a reference pass needs room for at least 2 tokens");
        }
        _maxTokens = maxTokens;
    }

    /// <summary>Longest prompt + response one pass accepts: the forward capacity or the model's context, whichever is smaller.</summary>
    public int MaxSequenceLength => Math.Min(_maxTokens, _reference.Model.Config.MaxPositionEmbeddings);

    /// <summary>The model's vocabulary size (token ids must be below it).</summary>
    public int VocabSize => _reference.Model.Config.VocabSize;

    /// <summary>Why a sequence cannot be scored, or null when it can.</summary>
    public string? Check(ReferenceSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.PromptTokens.Length == 0)
        {
            return "prompt_tokens is empty: the first response token needs at least one prompt token to be scored";
        }
        if (sequence.ResponseTokens.Length == 0)
        {
            return "a candidate has no tokens";
        }
        if (sequence.Length > MaxSequenceLength)
        {
            return $"prompt + response is {sequence.Length} tokens, above the reference limit of {MaxSequenceLength} (Scorer:MaxForwardTokens or max_position_embeddings)";
        }
        var v = VocabSize;
        if (sequence.PromptTokens.Any(t => (uint)t >= (uint)v) || sequence.ResponseTokens.Any(t => (uint)t >= (uint)v))
        {
            return $"a token id is outside the reference vocabulary 0..{v - 1}";
        }
        return null;
    }

    /// <summary>
    /// Scores every sequence under the current reference weights; returns the results (in order) and the reference
    /// version they were computed with. Call <see cref="Check"/> first: an invalid sequence throws.
    /// </summary>
    public Task<(ReferenceResult[] Results, long Version)> ScoreAsync(
        IReadOnlyList<ReferenceSequence> sequences, bool entropies, bool embeddings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        foreach (var s in sequences)
        {
            if (Check(s) is { } problem)
            {
                throw new ArgumentException(problem, nameof(sequences));
            }
        }
        return _reference.UseAsync(version =>
        {
            // The passes run synchronously on this thread, so its CPU clock charges exactly them.
            var cpu = _engineCpu is not null && ThreadCpuClock.TryNow(out var started) ? started : double.NaN;
            var results = new ReferenceResult[sequences.Count];
            var next = 0;
            while (next < sequences.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                next = Pass(sequences, next, results, entropies, embeddings);
            }
            if (!double.IsNaN(cpu))
            {
                _engineCpu!(ThreadCpuClock.Since(cpu));
            }
            return (results, version);
        }, cancellationToken);
    }

    /// <summary>Packs sequences from <paramref name="first"/> until the capacity is full, runs one forward, reads them out; returns the next index.</summary>
    private int Pass(IReadOnlyList<ReferenceSequence> sequences, int first, ReferenceResult[] results, bool entropies, bool embeddings)
    {
        var session = _session ??= new TrainingSession(_reference.Model, MaxSequencesPerPass, _maxTokens, MaxSequenceLength);
        var batch = session.Batch;
        batch.Clear();
        var end = first;
        var tokens = 0;
        while (end < sequences.Count && batch.Count < batch.MaxSequences && tokens + sequences[end].Length <= _maxTokens)
        {
            batch.Add(sequences[end].PromptTokens, sequences[end].ResponseTokens);
            tokens += sequences[end].Length;
            end++;
        }
        session.Forward(forBackward: false, entropies: entropies);
        var rows = session.RowLogProbs;
        var rowEntropies = entropies ? session.RowEntropies : default;
        var c = _reference.Model.Config.HiddenSize;
        for (var i = first; i < end; i++)
        {
            var seq = i - first;
            var s = sequences[i];
            var start = batch.Starts[seq];
            int p = s.PromptTokens.Length, l = s.ResponseTokens.Length;
            var logProbs = new float[l];
            var sum = 0.0;
            for (var t = 0; t < l; t++)
            {
                logProbs[t] = rows[start + p + t - 1];
                sum += logProbs[t];
            }
            double[]? h = null;
            if (entropies)
            {
                h = new double[l];
                for (var t = 0; t < l; t++)
                {
                    h[t] = rowEntropies[start + p + t];
                }
            }
            var promptHidden = session.HiddenAt(seq, p - 1).ToArray();
            float[]? embedding = null;
            if (embeddings)
            {
                // Response tokens only (ALGORITHMS.md §1.6: never embed the prompt).
                var mask = new float[l];
                Array.Fill(mask, 1f);
                embedding = CosineSimilarity.MeanPoolNormalized(session.FinalHidden.Slice((start + p) * c, l * c), c, mask);
            }
            results[i] = new ReferenceResult(logProbs, sum, h, promptHidden, embedding);
        }
        return end;
    }
}
