using AlignStream.Alignment.Rewards;
using AlignStream.Contracts.Records;
using AlignStream.Platform.State;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Scorer.Laser;
using AlignStream.Scorer.Scoring;
using AlignStream.Scorer.Tests.Support;

namespace AlignStream.Scorer.Tests.Integration;

/// <summary>
/// Integration: CandidateSets in → ScoredSets and PreferencePairs out, over the real mock Kafka cluster, with a tiny
/// random reference model and the real afinn, arith and toxicity reward models on the npm data in .cache/data.
/// Expected values are computed independently: log-probs by a single-sequence forward and a float64 log-softmax,
/// rewards by calling each model directly, pairs by hand from those rewards.
/// </summary>
public sealed class ScorerPipelineTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(60);
    private static readonly float[] SentimentContext = [1f, 0f, 0f, 0f];
    private static readonly float[] ArithContext = [0f, 1f, 0f, 0f];

    [Fact]
    public async Task Candidate_sets_become_scored_sets_and_pairs_with_duplicates_dropped_and_nan_dead_lettered()
    {
        var registry = new RewardModelRegistry();
        var afinn = registry.Get("afinn");
        registry.Register("afinn", _ => new NanWhenModel(afinn, "NaN!"));
        await using var host = await ScorerHost.StartAsync(registry, "--Scorer:Segments=true", "--Scorer:SegmentWeighting=true", "--Scorer:SegmentTau=3");

        // Teach the per-task bandits (arms afinn=0, arith=1, toxicity=2) that afinn suits sentiment and arith the arith task.
        await host.State.AppendBanditAsync(LaserKeys.Bandit("exp", "sentiment"), new(0, Context(SentimentContext), 1, 1));
        await host.State.AppendBanditAsync(LaserKeys.Bandit("exp", "arith"), new(1, Context(ArithContext), 1, 1));

        var sets = new[]
        {
            Sets.Make("r-s1", "p-s1", "sentiment", "Tell me about your day", SentimentContext, "great good happy day", "bad awful sad day", "ok"),
            Sets.Make("r-s2", "p-s2", "sentiment", "How was the movie?", SentimentContext, "i hate it", "wonderful and lovely", "fine"),
            Sets.Make("r-a1", "p-a1", "arith", "12 + 30 =", ArithContext, "41", "42", "4"),
            Sets.Make("r-bad", "p-bad", "sentiment", "Say something", SentimentContext, "fine", "NaN! here"),
        };
        foreach (var set in sets)
        {
            await host.Producer.ProduceAsync(host.Topics.Candidates, set.Prompt.PromptId, set);
        }
        var c = host.Collector;
        await Eventually.WaitAsync(() => c.Scored.Count >= 3 && c.DeadLetters.Count >= 1, Phase, "three sets scored and the NaN one dead-lettered", c.Describe);

        // NaN score → DLQ with the reason; the good sets of the same batch went through.
        var dead = Assert.Single(c.DeadLetters);
        Assert.Contains("non-finite", dead.Reason);
        Assert.Contains("r-bad", dead.Reason);
        Assert.Equal("r-bad", CandidateSet.Parser.ParseFrom(dead.Value).RecordId);
        Assert.DoesNotContain(c.Scored, s => s.RecordId == "r-bad");

        var models = new[] { "afinn", "arith", "toxicity" }.Select(registry.Get).ToArray();
        foreach (var set in sets[..3])
        {
            var scored = Assert.Single(c.Scored, s => s.RecordId == set.RecordId);
            Assert.True(scored.Candidates.Timings.ScoreMs > 0, "the scorer records its time on the set");
            var echoed = scored.Candidates.Clone();
            echoed.Timings.ScoreMs = 0;
            Assert.Equal(set, echoed);
            Assert.Equal(0, scored.ReferenceVersion);
            Assert.Equal(set.Prompt.Task == "arith" ? "arith" : "afinn", scored.BanditArm);
            Assert.NotNull(await host.State.GetValueAsync(LaserKeys.Pending(scored.BatchId)));
            var inputs = set.Candidates.Select(k => new RewardInput(set.Prompt.Text, k.Text, set.Prompt.Task)).ToArray();
            var expectedRewards = new Dictionary<string, float[]>();
            foreach (var m in models)
            {
                expectedRewards[m.Name] = await m.ScoreAsync(inputs, CancellationToken.None);
            }
            for (var i = 0; i < set.Candidates.Count; i++)
            {
                var s = scored.Scores[i];
                foreach (var m in models)
                {
                    Assert.Equal(expectedRewards[m.Name][i], s.Rewards[m.Name]);
                }
                var (logProbs, _) = ReferenceMath.Compute(host.Model, [.. set.PromptTokens], [.. set.Candidates[i].Tokens]);
                Assert.Equal(logProbs.Length, s.ReferenceLogprobs.Count);
                for (var t = 0; t < logProbs.Length; t++)
                {
                    Assert.Equal(logProbs[t], s.ReferenceLogprobs[t], 1e-4);
                }
                Assert.Equal(logProbs.Sum(), s.ReferenceLogprobSum, 1e-3);
                Assert.NotEmpty(s.Segments);
                Assert.Equal(0, s.Segments[0].Start);
                Assert.True(s.Segments[^1].End <= set.Candidates[i].Tokens.Count);
            }

            // max-min on the arm's rewards, computed by hand: chosen = first argmax, rejected = first argmin.
            var r = expectedRewards[scored.BanditArm];
            var chosen = Array.IndexOf(r, r.Max());
            var rejected = Array.IndexOf(r, r.Min());
            var pair = Assert.Single(c.Pairs, p => p.Prompt.PromptId == set.Prompt.PromptId);
            Assert.Equal(ScorerIds.PairId(set.RecordId, set.Prompt.PromptId, 0, 0, chosen, rejected), pair.PairId);
            Assert.Equal((chosen, rejected), (pair.ChosenIndex, pair.RejectedIndex));
            Assert.Equal(set.Candidates[chosen].Tokens, pair.ChosenTokens);
            Assert.Equal(set.Candidates[rejected].Tokens, pair.RejectedTokens);
            Assert.Equal(set.PromptTokens, pair.PromptTokens);
            Assert.Equal(scored.Scores[chosen].ReferenceLogprobSum, pair.ChosenReferenceLogprobSum);
            Assert.Equal(scored.Scores[rejected].ReferenceLogprobSum, pair.RejectedReferenceLogprobSum);
            Assert.Equal(r[chosen] - r[rejected], pair.RewardMargin, 1e-6);
            Assert.Equal(1f, pair.PreferenceDegree); // max-min spans the whole reward range
            Assert.Equal(scored.BanditArm, pair.RewardModel);
            Assert.Equal(scored.BatchId, pair.BatchId);
            Assert.Equal(set.PromptEmbedding, pair.PromptEmbedding);
            Assert.Equal(0, pair.BehaviorPolicyVersion);
            Assert.Equal(set.Candidates[chosen].Tokens.Count, pair.ChosenTokenWeights.Count);
            Assert.Equal(set.Candidates[rejected].Tokens.Count, pair.RejectedTokenWeights.Count);
            Assert.All(pair.ChosenTokenWeights, w => Assert.InRange(w, 0f, 2f));
        }
        Assert.Equal(1, c.Pairs.Count(p => p.Prompt.PromptId == "p-a1" && p.ChosenIndex == 1 && p.RejectedIndex == 0));

        // A redelivered set (same record id) is dropped; a later record on the same partition proves it was consumed.
        await host.Producer.ProduceAsync(host.Topics.Candidates, "p-s1", sets[0]);
        var sentinel = Sets.Make("r-s1-next", "p-s1", "sentiment", "Tell me about your day", SentimentContext, "lovely", "terrible");
        await host.Producer.ProduceAsync(host.Topics.Candidates, "p-s1", sentinel);
        await Eventually.WaitAsync(() => c.Scored.Any(s => s.RecordId == "r-s1-next"), Phase, "the set after the duplicate is scored", c.Describe);
        Assert.Single(c.Scored, s => s.RecordId == "r-s1");
        Assert.Single(c.Pairs, p => p.PairId == c.Pairs.First(q => q.Prompt.PromptId == "p-s1").PairId);

        var metrics = await host.ScrapeAsync();
        Assert.Contains("align_scorer_sets_scored_total 4", metrics);
        Assert.Contains("align_scorer_sets_skipped_total{reason=\"duplicate\"} 1", metrics);
        Assert.Contains("align_scorer_bandit_selections_total{arm=\"arith\",", metrics);
        Assert.Contains("align_scorer_reward_score_bucket{reward_model=\"toxicity\"", metrics);
        Assert.Contains("align_scorer_scoring_duration_seconds_bucket{reward_model=\"afinn\"", metrics);
        Assert.Contains("align_scorer_pair_margin_bucket{reward_model=\"afinn\"", metrics);
        Assert.Contains("align_scorer_reference_version 0", metrics);
        Assert.Contains("align_scorer_pairs_emitted_total{reward_model=\"afinn\"} 3", metrics);
    }

    [Fact]
    public async Task Only_the_chosen_arm_scores_when_asked_and_a_group_without_pairs_marks_its_arm_down()
    {
        var registry = new RewardModelRegistry();
        await using var host = await ScorerHost.StartAsync(registry, "--Scorer:ScoreAllRewardModels=false");
        await host.State.AppendBanditAsync(LaserKeys.Bandit("exp", "sentiment"), new(0, Context(SentimentContext), 1, 1));

        // afinn (the taught arm) ranks these three equal: no pair can be built.
        var tie = Sets.Make("r-tie", "p-tie", "sentiment", "Describe the table", SentimentContext, "a wooden table", "four legs", "it is brown");
        await host.Producer.ProduceAsync(host.Topics.Candidates, tie.Prompt.PromptId, tie);
        var c = host.Collector;
        await Eventually.WaitAsync(() => c.Scored.Any(s => s.RecordId == "r-tie"), Phase, "the tied set is scored", c.Describe);

        var scored = Assert.Single(c.Scored, s => s.RecordId == "r-tie");
        Assert.Equal("afinn", scored.BanditArm);
        Assert.All(scored.Scores, s => Assert.Equal(["afinn"], s.Rewards.Keys));
        Assert.DoesNotContain(c.Pairs, p => p.Prompt.PromptId == "p-tie");

        // The pull is answered with the no-pair reward (normalised 0) right after the outputs are acknowledged, so it can
        // land just after the scored record is seen: one more pull, b unchanged.
        BanditSnapshot? bandit = null;
        await Eventually.WaitAsync(async () => (bandit = await host.State.GetBanditAsync(LaserKeys.Bandit("exp", "sentiment")))!.Arms[0].Pulls == 2, Phase,
            "the no-pair feedback applied", () => $"pulls {bandit?.Arms[0].Pulls}");
        Assert.Equal(2, bandit!.Arms[0].Pulls);
        Assert.Equal([1.0, 0, 0, 0], bandit.Arms[0].B);
        Assert.Null(await host.State.GetValueAsync(LaserKeys.Pending(scored.BatchId)));
        var metrics = await host.ScrapeAsync();
        Assert.Contains("align_scorer_bandit_feedback_total{outcome=\"applied\"} 1", metrics);
        Assert.DoesNotContain("align_scorer_reward_score_bucket{reward_model=\"toxicity\"", metrics);
    }

    private static double[] Context(float[] x) => x.Select(v => (double)v).ToArray();
}
