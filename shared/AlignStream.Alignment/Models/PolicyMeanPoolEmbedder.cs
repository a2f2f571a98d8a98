using AlignStream.Alignment.Selection;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;

namespace AlignStream.Alignment.Models;

/// <summary>
/// The default <see cref="ISentenceEmbedder"/> (ALGORITHMS.md §1.2, RBoN-WD): each text runs through the
/// policy after BOS, its final hidden states (after the last RMSNorm) are mean-pooled over the text's
/// own tokens and L2-normalised. The BOS row is context only and is not pooled. Texts are embedded in one
/// packed forward per call; an empty text gives the zero vector. Serialises its forwards.
/// </summary>
public sealed class PolicyMeanPoolEmbedder : ISentenceEmbedder
{
    private readonly LlamaModel _model;
    private readonly ITokenizer _tokenizer;
    private readonly Lock _gate = new();

    /// <summary>An embedder over <paramref name="model"/>'s current weights.</summary>
    public PolicyMeanPoolEmbedder(LlamaModel model, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _model = model;
        _tokenizer = tokenizer;
    }

    /// <inheritdoc />
    public string Name => "policy-mean-pool@" + _model.Weights.Version;

    /// <summary>Embeds synchronously (the async form only wraps this).</summary>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var c = _model.Config.HiddenSize;
        var result = new float[texts.Count][];
        var encoded = new List<(int Index, ResponseTokens Tokens)>();
        for (var i = 0; i < texts.Count; i++)
        {
            var ids = _tokenizer.Encode(texts[i] ?? "");
            if (ids.Length == 0)
            {
                result[i] = new float[c];
                continue;
            }
            int[] head = _tokenizer.BosId is int bos ? [bos] : [];
            encoded.Add((i, ResponseTokens.Join(head, ids, _model.Config.MaxPositionEmbeddings)));
        }
        if (encoded.Count == 0)
        {
            return result;
        }
        lock (_gate)
        {
            var total = encoded.Sum(e => e.Tokens.Tokens.Length);
            var longest = encoded.Max(e => e.Tokens.Tokens.Length);
            var session = new TrainingSession(_model, encoded.Count, total, longest);
            foreach (var e in encoded)
            {
                session.Batch.Add(e.Tokens.Tokens);
            }
            session.Forward(forBackward: false);
            var hidden = session.FinalHidden;
            for (var s = 0; s < encoded.Count; s++)
            {
                var (index, tokens) = encoded[s];
                var len = tokens.Tokens.Length;
                var mask = new float[len];
                mask.AsSpan(tokens.ResponseStart).Fill(1f);
                result[index] = CosineSimilarity.MeanPoolNormalized(hidden.Slice(session.Batch.Starts[s] * c, len * c), c, mask);
            }
        }
        return result;
    }

    /// <inheritdoc />
    public ValueTask<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Embed(texts));
    }
}
