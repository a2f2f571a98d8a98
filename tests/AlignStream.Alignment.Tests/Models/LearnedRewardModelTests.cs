using Xunit.Abstractions;
using AlignStream.Alignment.Models;
using AlignStream.Alignment.Rewards;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Alignment.Tests.Models;

public sealed class LearnedRewardModelTests(ITestOutputHelper output)
{
    private static readonly string[] Fillers = ["the", "cat", "sat", "on", "a", "mat", "it", "was", "red", "sun", "day", "we", "ran", "far"];

    /// <summary>Toy preference: a response containing "good" beats one containing "bad"; fillers differ per pair.</summary>
    private static List<PreferenceText> Pairs(int count, int seed)
    {
        var rng = new Random(seed);
        var pairs = new List<PreferenceText>(count);
        for (var i = 0; i < count; i++)
        {
            string Sentence(string key)
            {
                var words = Enumerable.Range(0, 3).Select(_ => Fillers[rng.Next(Fillers.Length)]).ToList();
                words.Insert(rng.Next(words.Count + 1), key);
                return string.Join(' ', words);
            }
            pairs.Add(new PreferenceText("Q:", Sentence("good"), Sentence("bad")));
        }
        return pairs;
    }

    [Fact]
    public void Bradley_Terry_training_lifts_held_out_accuracy_well_above_chance()
    {
        var model = LearnedRewardModel.Create(TinyEngine.Create(11, hidden: 16, layers: 1, std: 0.1f), ByteTokenizer.Instance, seed: 5);
        var train = Pairs(64, seed: 1);
        var heldOut = Pairs(40, seed: 2);
        var before = BradleyTerryTrainer.Accuracy(model, heldOut);
        var trainer = new BradleyTerryTrainer(model, new BradleyTerryOptions { LearningRate = 3e-3, HeadLearningRate = 1e-2 }, maxPairs: 8, maxTokens: 8 * 2 * 40);
        var first = trainer.Loss(train.Take(8).ToList());
        for (var epoch = 0; epoch < 6; epoch++)
        {
            for (var b = 0; b < train.Count; b += 8)
            {
                trainer.Step(train.GetRange(b, 8));
            }
        }
        var after = BradleyTerryTrainer.Accuracy(model, heldOut);
        var last = trainer.Loss(train.Take(8).ToList());
        output.WriteLine($"learned RM: held-out accuracy {before:F3} -> {after:F3}; batch loss {first:F4} -> {last:F4}");
        Assert.True(after >= 0.9, $"held-out accuracy after training is {after:F3} (before {before:F3}); expected >= 0.9");
        Assert.True(last < first, $"training loss did not fall: {first:F4} -> {last:F4}");
    }

    [Fact]
    public void Head_and_backbone_gradients_match_central_differences()
    {
        var model = LearnedRewardModel.Create(TinyEngine.Create(3, hidden: 16, layers: 2), ByteTokenizer.Instance, seed: 9, initStd: 0.5);
        model.ScoreBias[0] = 0.1f;
        var pairs = new List<PreferenceText> { new("Hi", "ok sure", "no"), new("Q", "abc", "abd x") };
        var trainer = new BradleyTerryTrainer(model, new BradleyTerryOptions(), maxPairs: 2, maxTokens: 64);
        var loss = trainer.ComputeGradients(pairs);
        Assert.True(loss > 0 && double.IsFinite(loss));
        var backbone = trainer.Session.Gradients.Data.ToArray();
        var head = trainer.HeadGradient.ToArray();
        double Loss() => trainer.Loss(pairs);

        foreach (var i in TinyEngine.LargestEntries(backbone, 12))
        {
            var fd = TinyEngine.CentralDifference(model.Backbone.Weights.Data, i, 1e-2, Loss);
            TinyEngine.AssertClose(backbone[i], fd, $"backbone parameter {i}");
        }
        foreach (var j in TinyEngine.LargestEntries(head.AsSpan(0, 16), 6))
        {
            var fd = TinyEngine.CentralDifference(model.ScoreWeight, j, 1e-2, Loss);
            TinyEngine.AssertClose(head[j], fd, $"score.weight[{j}]");
        }
        var fdBias = TinyEngine.CentralDifference(model.ScoreBias, 0, 1e-2, Loss);
        TinyEngine.AssertClose(head[^1], fdBias, "score.bias");
    }

    [Fact]
    public async Task Save_and_load_round_trip_scores_and_registry_serves_it_as_learned()
    {
        var model = LearnedRewardModel.Create(TinyEngine.Create(4, tied: true), ByteTokenizer.Instance, seed: 2, initStd: 0.5);
        model.ScoreBias[0] = -0.25f;
        var inputs = new[] { new RewardInput("Q:", "good day"), new RewardInput("Q:", ""), new RewardInput("", "x") };
        var expected = model.Score(inputs);
        var dir = Path.Combine(Path.GetTempPath(), "learned-rm-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.Save(dir);
            // Saving again over an existing folder replaces it whole.
            model.Save(dir);
            Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            var registry = new RewardModelRegistry(dataRoot: "unused");
            EngineRewardModels.Register(registry, new EngineRewardModelOptions { LearnedPath = dir });
            var loaded = registry.Get("learned");
            Assert.Equal("learned", loaded.Name);
            var got = await loaded.ScoreAsync(inputs, CancellationToken.None);
            for (var i = 0; i < inputs.Length; i++)
            {
                Assert.Equal(expected[i], got[i], 5);
            }
            // Batched scoring equals one-at-a-time scoring (packing must not leak between sequences).
            Assert.Equal(expected[0], model.Score([inputs[0]])[0], 5);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Registry_without_a_path_names_the_missing_key()
    {
        var registry = new RewardModelRegistry(dataRoot: "unused");
        EngineRewardModels.Register(registry, new EngineRewardModelOptions());
        var e = Assert.Throws<InvalidOperationException>(() => registry.Get("learned"));
        Assert.Contains("RewardModels:LearnedPath", e.Message);
    }
}
