using AlignStream.Alignment.Rewards;
using AlignStream.Alignment.Selection;
using AlignStream.Engine.Training;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Scorer.Scoring;
using AlignStream.Scorer.Tests.Support;

namespace AlignStream.Scorer.Tests.Integration;

/// <summary>
/// Integration: each configured selector gets the inputs it needs from the stage — rbon-kl the reference log-prob
/// sums, rbon-wd the cosine matrix of mean-pooled reference hidden states over response tokens, next-k several pairs
/// per prompt — checked against the selector run on inputs computed here independently.
/// </summary>
public sealed class SelectorWiringTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("rbon-kl", 0.05, 10)]
    [InlineData("rbon-wd", 5.0, 10)]
    [InlineData("next-k", 0.0, 2)]
    public async Task The_selector_sees_reference_sums_similarities_and_rewards(string selector, double beta, int nextK)
    {
        var registry = new RewardModelRegistry();
        FormattableString b = $"--Scorer:SelectorBeta={beta}";
        await using var host = await ScorerHost.StartAsync(registry, "--Scorer:RewardModels=afinn", $"--Scorer:Selector={selector}",
            b.ToString(System.Globalization.CultureInfo.InvariantCulture), $"--Scorer:NextK={nextK}");
        var set = Sets.Make("r-sel", "p-sel", "sentiment", "Describe the weather", [1f, 2f],
            "lovely sunny day", "terrible storm", "good", "bad and awful and terrible", "wonderful");
        await host.Producer.ProduceAsync(host.Topics.Candidates, "p-sel", set);
        var c = host.Collector;
        await Eventually.WaitAsync(() => c.Scored.Count == 1, Phase, "the set is scored", c.Describe);

        var rewards = (await registry.Get("afinn").ScoreAsync(
            set.Candidates.Select(k => new RewardInput(set.Prompt.Text, k.Text, set.Prompt.Task)).ToArray(), CancellationToken.None)).Select(v => (double)v).ToArray();
        var sums = set.Candidates.Select(k => ReferenceMath.Compute(host.Model, [.. set.PromptTokens], [.. k.Tokens]).LogProbs.Sum()).ToArray();
        var embeddings = set.Candidates.Select(k => ResponseEmbedding(host, [.. set.PromptTokens], [.. k.Tokens])).ToArray();
        var expected = PairSelectorFactory.Create(new SelectorOptions { Selector = selector, Beta = beta, NextK = nextK })
            .Select(new SelectionInput(rewards, sums, CosineSimilarity.Matrix(embeddings)));
        Assert.False(expected.IsSkipped);

        await Eventually.WaitAsync(() => c.Pairs.Count >= expected.Pairs.Count, Phase, $"{expected.Pairs.Count} pairs", c.Describe);
        var actual = c.Pairs.OrderBy(p => p.RejectedIndex).Select(p => (p.ChosenIndex, p.RejectedIndex)).ToArray();
        Assert.Equal(expected.Pairs.OrderBy(p => p.Rejected).Select(p => (p.Chosen, p.Rejected)), actual);
        Assert.All(c.Pairs, p => Assert.Equal(ScorerIds.PairId("r-sel", "p-sel", 0, 0, p.ChosenIndex, p.RejectedIndex), p.PairId));
        Assert.Equal(c.Pairs.Count, c.Pairs.Select(p => p.PairId).Distinct().Count());
    }

    /// <summary>Mean of the reference's final hidden states over response rows, L2-normalised, from a single-sequence pass.</summary>
    private static float[] ResponseEmbedding(ScorerHost host, int[] prompt, int[] response)
    {
        var model = host.Model;
        var n = prompt.Length + response.Length;
        var session = new TrainingSession(model, 1, n, n);
        session.Batch.Clear();
        session.Batch.Add(prompt, response);
        session.Forward(forBackward: false);
        var c = model.Config.HiddenSize;
        var mean = new double[c];
        for (var t = prompt.Length; t < n; t++)
        {
            var row = session.HiddenAt(0, t);
            for (var j = 0; j < c; j++)
            {
                mean[j] += row[j] / response.Length;
            }
        }
        var norm = Math.Sqrt(mean.Sum(v => v * v));
        return mean.Select(v => (float)(v / norm)).ToArray();
    }
}
