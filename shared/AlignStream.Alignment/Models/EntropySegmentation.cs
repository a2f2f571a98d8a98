using AlignStream.Alignment.Segments;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;

namespace AlignStream.Alignment.Models;

/// <summary>One segment of a response: response-token indices [Start, End] (inclusive) and its decoded text.</summary>
public sealed record TextSegment(int Start, int End, string Text);

/// <summary>
/// Entropy segmentation of a response under a model (ALGORITHMS.md §5A, the engine of `align segment`):
/// the response tokens, H_j (nats) of the model's next-token distribution after each response token j,
/// and the segments of <see cref="EntropySegmenter"/> with their text.
/// </summary>
/// <param name="Tokens">Response token ids (the EOS included when appended).</param>
/// <param name="Entropies">H_j per response token, [Tokens.Length].</param>
/// <param name="Segments">Segments in order; the EOS belongs to none.</param>
public sealed record EntropySegmentation(int[] Tokens, double[] Entropies, TextSegment[] Segments)
{
    /// <summary>
    /// Runs the model once over BOS + prompt + text (+ EOS when <paramref name="appendEos"/> and the
    /// tokenizer has one, so that the end-of-response rules see a real EOS) and segments at τ.
    /// </summary>
    public static EntropySegmentation Compute(LlamaModel model, ITokenizer tokenizer, string prompt, string text, double tau, bool appendEos = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        int[] promptTokens = tokenizer.BosId is int bos ? [bos, .. tokenizer.Encode(prompt ?? "")] : tokenizer.Encode(prompt ?? "");
        var body = tokenizer.Encode(text ?? "");
        int[] response = appendEos && tokenizer.EosId is int eos ? [.. body, eos] : body;
        if (response.Length == 0)
        {
            throw new ArgumentException("the text has no tokens and no EOS is appended; there is nothing to segment.", nameof(text));
        }
        var seq = ResponseTokens.Join(promptTokens, response, model.Config.MaxPositionEmbeddings);
        var session = new TrainingSession(model, 1, seq.Tokens.Length, seq.Tokens.Length);
        session.Batch.Add(seq.Tokens);
        session.Forward(forBackward: false, entropies: true);
        var rows = session.RowEntropies;
        var h = new double[response.Length];
        for (var j = 0; j < h.Length; j++)
        {
            h[j] = rows[seq.ResponseStart + j];
        }
        var ends = EntropySegmenter.SegmentEnds(h, response.Length - 1, tau);
        var segments = EntropySegmenter.ToSegments(ends)
            .Select(s => new TextSegment(s.Start, s.End, tokenizer.Decode(response.AsSpan(s.Start, s.Length))))
            .ToArray();
        return new EntropySegmentation(response, h, segments);
    }
}
