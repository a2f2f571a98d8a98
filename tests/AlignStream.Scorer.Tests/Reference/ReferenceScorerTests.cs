using AlignStream.Engine.Tokenization;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Scorer.Reference;
using AlignStream.Scorer.Tests.Support;

namespace AlignStream.Scorer.Tests.Reference;

/// <summary>
/// Unit: the scorer's packed reference pass gives, for every candidate, the same log-probs and entropies as a
/// single-sequence forward turned into log-softmax by hand in float64, and the same sum as the engine's own
/// ResponseLogProbSum (ALGORITHMS.md convention 1: response tokens only, EOS included).
/// </summary>
public sealed class ReferenceScorerTests : IDisposable
{
    private readonly TempFolder _temp = new("scorer-ref");

    [Fact]
    public async Task Packed_log_probs_and_entropies_equal_single_sequence_computation()
    {
        var model = TinyModel.Save(_temp.Path, seed: 11);
        using var reference = new ReferenceModel(model, ByteTokenizer.Instance);
        // Capacity 40 tokens: the five sequences need two passes, so packing across passes is covered too.
        var scorer = new ReferenceScorer(reference, maxTokens: 40);
        var sequences = new[]
        {
            new ReferenceSequence(Sets.PromptTokens("hi"), Sets.ResponseTokens("hello")),
            new ReferenceSequence(Sets.PromptTokens("2+2="), Sets.ResponseTokens("4")),
            new ReferenceSequence(Sets.PromptTokens("a"), Sets.ResponseTokens("a much longer reply")),
            new ReferenceSequence([ByteTokenizer.BosIdConstant], [65]),
            new ReferenceSequence(Sets.PromptTokens("q"), Sets.ResponseTokens("")),
        };

        var (results, version) = await scorer.ScoreAsync(sequences, entropies: true, embeddings: true, CancellationToken.None);

        Assert.Equal(0, version);
        for (var i = 0; i < sequences.Length; i++)
        {
            var s = sequences[i];
            var (logProbs, entropies) = ReferenceMath.Compute(model, s.PromptTokens, s.ResponseTokens);
            var r = results[i];
            Assert.Equal(s.ResponseTokens.Length, r.TokenLogProbs.Length);
            for (var t = 0; t < logProbs.Length; t++)
            {
                Assert.Equal(logProbs[t], r.TokenLogProbs[t], 1e-4);
                Assert.Equal(entropies[t], r.Entropies![t], 1e-4);
            }
            Assert.Equal(logProbs.Sum(), r.LogProbSum, 1e-3);
            Assert.Equal(ReferenceMath.EngineSum(model, s.PromptTokens, s.ResponseTokens), r.LogProbSum, 1e-4); // packing changes GEMM shapes, so float rounding differs slightly
            Assert.True(r.LogProbSum < 0, "a log-probability sum is negative");
            Assert.Equal(16, r.PromptHidden.Length);
            Assert.Equal(1.0, Math.Sqrt(r.ResponseEmbedding!.Sum(x => (double)x * x)), 1e-5);
        }
    }

    [Fact]
    public void Check_names_each_problem()
    {
        var model = TinyModel.Save(_temp.Path, seed: 12);
        using var reference = new ReferenceModel(model, ByteTokenizer.Instance);
        var scorer = new ReferenceScorer(reference, maxTokens: 64);

        Assert.Contains("prompt_tokens is empty", scorer.Check(new ReferenceSequence([], [1])));
        Assert.Contains("no tokens", scorer.Check(new ReferenceSequence([1], [])));
        Assert.Contains("above the reference limit of 64", scorer.Check(new ReferenceSequence(new int[40], new int[30])));
        Assert.Contains("outside the reference vocabulary 0..259", scorer.Check(new ReferenceSequence([1], [260])));
        Assert.Null(scorer.Check(new ReferenceSequence([1], [2])));
    }

    public void Dispose() => _temp.Dispose();
}
