using AlignStream.Alignment.Models;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;

namespace AlignStream.Alignment.Tests.Models;

public sealed class PolicyMeanPoolEmbedderTests
{
    [Fact]
    public async Task Embeddings_are_normalised_means_of_the_texts_own_hidden_states()
    {
        var model = TinyEngine.Create(51);
        var embedder = new PolicyMeanPoolEmbedder(model, ByteTokenizer.Instance);
        var texts = new[] { "hello", "", "a much longer text here" };
        var e = await embedder.EmbedAsync(texts, CancellationToken.None);
        Assert.Equal(3, e.Length);
        Assert.All(e[1], x => Assert.Equal(0f, x));
        Assert.StartsWith("policy-mean-pool@", embedder.Name);
        foreach (var i in new[] { 0, 2 })
        {
            // Independent: one sequence per forward, mean over rows 1..L (BOS excluded) in float64, then normalise.
            int[] tokens = [ByteTokenizer.BosIdConstant, .. ByteTokenizer.Instance.Encode(texts[i])];
            var s = new TrainingSession(model, 1, tokens.Length, tokens.Length);
            s.Batch.Add(tokens);
            s.Forward(forBackward: false);
            var mean = new double[16];
            for (var t = 1; t < tokens.Length; t++)
            {
                var h = s.HiddenAt(0, t);
                for (var j = 0; j < 16; j++)
                {
                    mean[j] += h[j];
                }
            }
            var norm = Math.Sqrt(mean.Sum(x => x * x));
            for (var j = 0; j < 16; j++)
            {
                Assert.Equal(mean[j] / norm, e[i][j], 4);
            }
            Assert.Equal(1.0, Math.Sqrt(e[i].Sum(x => (double)x * x)), 5);
        }
    }
}
