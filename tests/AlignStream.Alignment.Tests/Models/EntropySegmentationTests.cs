using AlignStream.Alignment.Models;
using AlignStream.Alignment.Segments;
using AlignStream.Engine.Inference;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Alignment.Tests.Models;

public sealed class EntropySegmentationTests
{
    /// <summary>H after each response token, from the engine's incremental decoder and a float64 softmax: a path independent of the training forward.</summary>
    private static double[] DecoderEntropies(LlamaModel model, int[] prefix, int[] response)
    {
        var all = prefix.Concat(response).ToArray();
        var decode = new DecodeSession(model, 1, all.Length, all.Length);
        var h = new double[response.Length];
        var v = model.Config.VocabSize;
        // Prefill everything before the first response token, then one token at a time.
        decode.Step([0], prefix, [prefix.Length]);
        for (var j = 0; j < response.Length; j++)
        {
            var logits = decode.Step([0], [response[j]], [1]).ToArray();
            var max = logits.Max();
            var z = logits.Sum(l => Math.Exp(l - max));
            var ent = 0.0;
            for (var i = 0; i < v; i++)
            {
                var p = Math.Exp(logits[i] - max) / z;
                ent -= p > 0 ? p * Math.Log(p) : 0;
            }
            h[j] = ent;
        }
        return h;
    }

    [Fact]
    public void Entropies_match_the_decoder_and_segments_follow_the_segmenter()
    {
        var model = TinyEngine.Create(21, hidden: 16, layers: 2, std: 0.6f);
        var tok = ByteTokenizer.Instance;
        var result = EntropySegmentation.Compute(model, tok, "Say:", "hello there", tau: 0);
        int[] expectedTokens = [.. tok.Encode("hello there"), ByteTokenizer.EosIdConstant];
        Assert.Equal(expectedTokens, result.Tokens);
        var h = DecoderEntropies(model, [ByteTokenizer.BosIdConstant, .. tok.Encode("Say:")], expectedTokens);
        for (var j = 0; j < h.Length; j++)
        {
            Assert.True(Math.Abs(h[j] - result.Entropies[j]) < 1e-4, $"entropy after response token {j}: {result.Entropies[j]} vs decoder {h[j]}");
        }
        // τ between the smallest and largest entropy splits somewhere inside; the boundaries are the segmenter's.
        var tau = (h.Take(h.Length - 1).Min() + h.Take(h.Length - 1).Max()) / 2;
        var mid = EntropySegmentation.Compute(model, tok, "Say:", "hello there", tau);
        var ends = EntropySegmenter.SegmentEnds(h, h.Length - 1, tau);
        Assert.Equal(ends, mid.Segments.Select(s => s.End).ToArray());
        Assert.Equal("hello there", string.Concat(mid.Segments.Select(s => s.Text)));
        // τ = 0: every token but the EOS is its own segment.
        Assert.Equal(Enumerable.Range(0, expectedTokens.Length - 1), result.Segments.Select(s => s.End));
        Assert.Equal("h", result.Segments[0].Text);
        // The bandit sentinel: one segment ending on the EOS.
        var bandit = EntropySegmentation.Compute(model, tok, "Say:", "hello there", EntropySegmenter.BanditTau);
        Assert.Equal(new TextSegment(0, expectedTokens.Length - 1, "hello there"), bandit.Segments.Single() with { Text = "hello there" });
    }

    [Fact]
    public void Without_eos_the_last_text_token_plays_the_eos_and_empty_text_is_refused()
    {
        var model = TinyEngine.Create(22);
        var r = EntropySegmentation.Compute(model, ByteTokenizer.Instance, "", "abc", tau: 0, appendEos: false);
        Assert.Equal(ByteTokenizer.Instance.Encode("abc"), r.Tokens);
        Assert.Equal([0, 1], r.Segments.Select(s => s.End));
        var e = Assert.Throws<ArgumentException>(() => EntropySegmentation.Compute(model, ByteTokenizer.Instance, "p", "", tau: 1, appendEos: false));
        Assert.Contains("nothing to segment", e.Message);
    }
}
