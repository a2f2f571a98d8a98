using Xunit.Abstractions;
using AlignStream.Alignment.Decoding;
using AlignStream.Alignment.Models;
using AlignStream.Alignment.Rewards;
using AlignStream.Engine.Inference;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Alignment.Tests.Models;

public sealed class ArmTests(ITestOutputHelper output)
{
    /// <summary>A toy sequence-level teacher: the fraction of the response's letters that are 'a'.</summary>
    private sealed class LetterTeacher : IRewardModel
    {
        public string Name => "letter-a";

        public string Version => "1";

        public Task<float[]> ScoreAsync(IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken) =>
            Task.FromResult(batch.Select(b => b.Response.Length == 0 ? 0f : (float)b.Response.Count(ch => ch == 'a') / b.Response.Length).ToArray());
    }

    private static ArmRewardModel Arm(ulong seed, double initStd = 0.3, bool tied = false) =>
        ArmRewardModel.Create(TinyEngine.Create(seed, hidden: 16, layers: 1, std: 0.3f, tied: tied), ByteTokenizer.Instance, seed + 100, initStd);

    [Fact]
    public void Processor_takes_exactly_one_backbone_step_per_generated_token_and_reads_the_teacher_forced_rewards()
    {
        var policy = TinyEngine.Create(41, hidden: 16, layers: 1, std: 0.5f);
        var arm = Arm(42);
        arm.Head.Baseline![3] = 0.7f;
        var processor = new ArmLogitsProcessor(arm, new RadOptions { TopK = 5, Beta = 3 }, maxSequences: 3, capacity: 40);
        var generator = new Generator(policy, maxBatch: 3, capacity: 40);
        int[][] prompts = [[256, 72, 105], [256, 81], [256, 97, 98, 99, 100]];
        var rngs = new[] { new Xoshiro256(1), new Xoshiro256(2), new Xoshiro256(3) };
        var results = generator.Generate(prompts, new SamplingOptions { MaxNewTokens = 7 }, rngs, processor);
        var generated = results.Sum(r => r.Tokens.Length);
        Assert.Equal(21, generated);
        Assert.Equal(generated, processor.BackboneSteps);
        for (var i = 0; i < prompts.Length; i++)
        {
            // Every sampled token was inside the top-k of the raw logits, and the last step's reward row
            // matches the training-path reward of the last token given its prefix.
            int[] all = [.. prompts[i], .. results[i].Tokens];
            var teacherForced = arm.TokenRewards(all);
            var last = results[i].Tokens[^1];
            Assert.Equal(teacherForced[^1], processor.LastRewards(i)[last], 4);
        }
        // A second generation in the same slots starts fresh caches and still costs one step per token.
        var again = generator.Generate(prompts, new SamplingOptions { MaxNewTokens = 3 }, [new Xoshiro256(4), new Xoshiro256(5), new Xoshiro256(6)], processor);
        Assert.Equal(21 + again.Sum(r => r.Tokens.Length), processor.BackboneSteps);
    }

    [Fact]
    public void Processor_rescoring_equals_rad_with_rewards_from_the_head()
    {
        var arm = Arm(43, tied: true);
        var processor = new ArmLogitsProcessor(arm, new RadOptions { TopK = 4, Beta = 2 }, maxSequences: 1, capacity: 16);
        int[] history = [256, 104, 105];
        var rng = new Random(3);
        var logits = Enumerable.Range(0, 260).Select(_ => (float)rng.NextDouble() * 4).ToArray();
        var expected = logits.ToArray();
        new RewardAugmentedLogitsProcessor(new RadOptions { TopK = 4, Beta = 2 }).Process(expected, (cands, r) =>
        {
            for (var c = 0; c < cands.Length; c++)
            {
                r[c] = (float)arm.TokenRewards([.. history, cands[c]])[^1];
            }
        });
        processor.Process(0, history, logits);
        Assert.Equal(1, processor.BackboneSteps);
        for (var v = 0; v < logits.Length; v++)
        {
            if (float.IsNegativeInfinity(expected[v]))
            {
                Assert.True(float.IsNegativeInfinity(logits[v]), $"token {v} outside the top-k must be -inf");
            }
            else
            {
                Assert.Equal(expected[v], logits[v], 4);
            }
        }
    }

    [Fact]
    public async Task Distillation_from_a_sequence_level_teacher_reduces_the_cumulative_mse()
    {
        var arm = Arm(44, initStd: 0.05);
        var rng = new Random(8);
        var items = Enumerable.Range(0, 24)
            .Select(_ => new RewardInput("x", new string([.. Enumerable.Range(0, 4 + rng.Next(5)).Select(_ => rng.Next(2) == 0 ? 'a' : 'b')])))
            .ToList();
        var texts = await ArmDistillationTrainer.LabelAsync(arm, new LetterTeacher(), items, CancellationToken.None);
        var trainer = new ArmDistillationTrainer(arm, new ArmDistillationOptions { LearningRate = 3e-3, HeadLearningRate = 1e-2, Seed = 2 }, maxTexts: 8, maxTokens: 8 * 16);
        var before = trainer.Mse(texts.Take(8).ToList()) + trainer.Mse(texts.Skip(8).Take(8).ToList()) + trainer.Mse(texts.Skip(16).ToList());
        var frozenE = arm.Head.Embeddings.ToArray();
        for (var epoch = 0; epoch < 15; epoch++)
        {
            for (var b = 0; b < texts.Length; b += 8)
            {
                trainer.Step(texts.Skip(b).Take(8).ToList());
            }
        }
        var after = trainer.Mse(texts.Take(8).ToList()) + trainer.Mse(texts.Skip(8).Take(8).ToList()) + trainer.Mse(texts.Skip(16).ToList());
        output.WriteLine($"ARM distillation: mean cumulative MSE per batch {before / 3:F5} -> {after / 3:F5} after 15 epochs of 3 batches");
        Assert.True(after < 0.5 * before, $"cumulative MSE {before / 3:F5} -> {after / 3:F5}; expected at least halved");
        // The output embeddings the head reads stay frozen in the backbone too.
        Assert.Equal(frozenE, arm.Backbone.Weights.Data.AsSpan(arm.Backbone.Layout.LmHead, frozenE.Length).ToArray());
    }

    [Fact]
    public async Task Save_load_keeps_rewards_and_registry_serves_it_as_arm()
    {
        var arm = Arm(45);
        arm.Head.Baseline![0] = 0.4f;
        var inputs = new[] { new RewardInput("p", "abc"), new RewardInput("p", "") };
        var expected = arm.Score(inputs);
        var dir = Path.Combine(Path.GetTempPath(), "arm-" + Guid.NewGuid().ToString("N"));
        try
        {
            arm.Save(dir);
            var registry = new RewardModelRegistry(dataRoot: "unused");
            EngineRewardModels.Register(registry, new EngineRewardModelOptions { ArmPath = dir });
            var loaded = registry.Get("arm");
            Assert.Equal("arm", loaded.Name);
            var got = await loaded.ScoreAsync(inputs, CancellationToken.None);
            Assert.Equal(expected[0], got[0], 5);
            Assert.Equal(expected[1], got[1], 5);
            // The batched score is the teacher-forced reward of the last token.
            Assert.Equal(arm.TokenRewards(arm.Encode(inputs[0]).Tokens)[^1], expected[0], 5);
            Assert.Equal(((ArmRewardModel)loaded).Head.Projection, arm.Head.Projection);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
