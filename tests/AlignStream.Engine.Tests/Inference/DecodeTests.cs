using AlignStream.Engine.Inference;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tests.Kernels;
using AlignStream.Engine.Training;

namespace AlignStream.Engine.Tests.Inference;

/// <summary>KV-cache decoding against full recomputation, seeded reproducibility, slot reuse and the logits hook.</summary>
[Collection("Gemm")]
public sealed class DecodeTests
{
    private static float[] FullLogits(Engine.Model.LlamaModel model, int[] seq)
    {
        var s = new TrainingSession(model, 1, seq.Length, seq.Length);
        s.Batch.Add(seq);
        var logits = new float[seq.Length * model.Config.VocabSize];
        s.Forward(forBackward: false, logitsOut: logits);
        return logits;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Kv_cache_decode_gives_the_logits_of_full_recomputation(int threads)
    {
        var model = TinyModels.Create(threads: threads);
        var v = model.Config.VocabSize;
        int[][] seqs = [[1, 5, 9, 3, 17, 22, 8, 4, 30, 11], [1, 7], [1, 2, 3, 4, 5, 6, 7]];
        var session = new DecodeSession(model, slots: 3, capacity: 16, maxStepTokens: 32);
        // Prefill the first 2, 1 and 3 tokens of the three sequences in one step, then feed one token at a time.
        int[] pre = [2, 1, 3];
        var feed = seqs.SelectMany((s, i) => s.Take(pre[i])).ToArray();
        var logits = session.Step([0, 1, 2], feed, pre).ToArray();
        var full = seqs.Select(s => FullLogits(model, s)).ToArray();
        for (var i = 0; i < 3; i++)
        {
            TestData.AssertClose(logits.AsSpan(i * v, v), full[i].AsSpan((pre[i] - 1) * v, v), 2e-5, 1e-4, $"prefill logits of sequence {i}");
        }
        var pos = (int[])pre.Clone();
        while (true)
        {
            var slots = Enumerable.Range(0, 3).Where(i => pos[i] < seqs[i].Length).ToArray();
            if (slots.Length == 0)
            {
                break;
            }
            var step = session.Step(slots, slots.Select(i => seqs[i][pos[i]]).ToArray(), slots.Select(_ => 1).ToArray()).ToArray();
            for (var a = 0; a < slots.Length; a++)
            {
                var i = slots[a];
                TestData.AssertClose(step.AsSpan(a * v, v), full[i].AsSpan(pos[i] * v, v), 2e-5, 1e-4, $"decode logits of sequence {i} at position {pos[i]}");
                pos[i]++;
            }
        }
    }

    [Fact]
    public void A_reset_slot_is_refilled_without_disturbing_the_others()
    {
        var model = TinyModels.Create();
        var v = model.Config.VocabSize;
        var session = new DecodeSession(model, 2, 16, 16);
        session.Step([0, 1], [1, 4, 6, 1, 9], [3, 2]);
        session.Cache.Reset(1);
        var logits = session.Step([1, 0], [1, 12, 13, 7], [3, 1]).ToArray();
        TestData.AssertClose(logits.AsSpan(0, v), FullLogits(model, [1, 12, 13]).AsSpan(2 * v, v), 2e-5, 1e-4, "refilled slot");
        TestData.AssertClose(logits.AsSpan(v, v), FullLogits(model, [1, 4, 6, 7]).AsSpan(3 * v, v), 2e-5, 1e-4, "untouched slot");
    }

    [Fact]
    public void Sampling_with_fixed_seeds_is_reproducible_and_logprobs_are_raw_model_logprobs()
    {
        var model = TinyModels.Create();
        var gen = new Generator(model, maxBatch: 3, capacity: 40);
        int[][] prompts = [[1, 5, 9], [1], [1, 3, 3, 3, 3, 3]];
        var options = new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.95f, MaxNewTokens = 12, StopTokens = [2] };
        Xoshiro256[] Rngs() => [.. Enumerable.Range(0, 3).Select(i => new Xoshiro256(Xoshiro256.DeriveSeed(42, (ulong)i)))];
        var a = gen.Generate(prompts, options, Rngs());
        var b = gen.Generate(prompts, options, Rngs());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(a[i].Tokens, b[i].Tokens);
            Assert.Equal(a[i].LogProbs, b[i].LogProbs);
            Assert.True(a[i].Tokens.Length is > 0 and <= 12);
            // Behaviour log-probs equal the full model's raw (temperature 1) log-probs of the sampled tokens.
            var seq = prompts[i].Concat(a[i].Tokens).ToArray();
            var s = new TrainingSession(model, 1, seq.Length, seq.Length);
            s.Batch.Add(seq);
            s.Forward(forBackward: false);
            var lp = new float[seq.Length];
            s.SequenceLogProbs(0, lp);
            for (var t = 0; t < a[i].Tokens.Length; t++)
            {
                Assert.True(Math.Abs(lp[prompts[i].Length + t] - a[i].LogProbs[t]) < 1e-4, $"sequence {i} token {t}: behaviour {a[i].LogProbs[t]} vs recomputed {lp[prompts[i].Length + t]}");
            }
            if (a[i].StopReason == StopReason.StopToken)
            {
                Assert.Equal(2, a[i].Tokens[^1]);
            }
        }
        var other = gen.Generate(prompts, options, [.. Enumerable.Range(0, 3).Select(i => new Xoshiro256(Xoshiro256.DeriveSeed(43, (ulong)i)))]);
        Assert.False(Enumerable.Range(0, 3).All(i => other[i].Tokens.SequenceEqual(a[i].Tokens)), "a different seed should change at least one sample");
    }

    [Fact]
    public void A_generation_names_its_weights_and_a_step_rejects_a_repeated_slot()
    {
        var model = TinyModels.Create();
        var gen = new Generator(model, 1, 16);
        var res = gen.Generate([[1, 3]], new SamplingOptions { MaxNewTokens = 2 }, [new Xoshiro256(5)]);
        Assert.Equal(model.Weights.Version, res[0].WeightsVersion);
        var session = new DecodeSession(model, 2, 16, 8);
        var ex = Assert.Throws<ArgumentException>(() => session.Step([0, 0], [1, 2], [1, 1]).ToArray());
        Assert.Contains("appears twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Logits_processor_steers_sampling_but_not_the_reported_logprobs()
    {
        var model = TinyModels.Create();
        var gen = new Generator(model, 2, 32);
        var forced = new ForceToken(17);
        var res = gen.Generate([[1, 4], [1]], new SamplingOptions { MaxNewTokens = 5 }, [new Xoshiro256(1), new Xoshiro256(2)], forced);
        foreach (var r in res)
        {
            Assert.All(r.Tokens, t => Assert.Equal(17, t));
            Assert.All(r.LogProbs, lp => Assert.True(lp < 0 && lp > -20, $"raw log-prob {lp} should be an ordinary model log-prob"));
        }
        Assert.True(forced.Calls >= 10);
        Assert.Equal(StopReason.MaxTokens, res[0].StopReason);
    }

    private sealed class ForceToken(int token) : ILogitsProcessor
    {
        public int Calls { get; private set; }

        public void Process(int sequence, ReadOnlySpan<int> tokensSoFar, Span<float> logits)
        {
            Calls++;
            logits.Fill(float.NegativeInfinity);
            logits[token] = 0f;
        }
    }
}
