using System.Diagnostics.Metrics;
using AlignStream.Engine.Inference;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;
using AlignStream.Generator.Decoding;
using AlignStream.Generator.Metrics;
using AlignStream.Generator.Options;
using AlignStream.Generator.Policy;
using AlignStream.Generator.Tests.Support;
using AlignStream.Platform.Metrics;
using AlignStream.Platform.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace AlignStream.Generator.Tests.Decoding;

/// <summary>Unit tests of the continuous-batching decode loop against the engine's own single-batch generator (no network).</summary>
public sealed class ContinuousBatchDecoderTests
{
    private static readonly int[] Eos = [ByteTokenizer.EosIdConstant];

    private static ResolvedSampling Sampling(int n, int maxNew, float temperature = 0.9f, float topP = 0.95f, int topK = 0, bool stopAtEos = true) =>
        new(n, new SamplingOptions { Temperature = temperature, TopP = topP, TopK = topK, MaxNewTokens = maxNew, StopTokens = stopAtEos ? Eos : [] });

    private static int RunToCompletion(ContinuousBatchDecoder decoder, int maxSteps = 10_000)
    {
        var steps = 0;
        while (decoder.Step())
        {
            Assert.True(++steps < maxSteps, $"decoding did not finish within {maxSteps} steps (waiting {decoder.WaitingCount}, active {decoder.ActiveCount})");
        }
        return steps;
    }

    /// <summary>The outcome of a request the test already ran to completion (decoding is synchronous here).</summary>
    private static GenerationOutcome Outcome(GenerationRequest request)
    {
        Assert.True(request.Completion.IsCompletedSuccessfully, $"prompt {request.PromptId} did not complete");
        return request.Completion.GetAwaiter().GetResult();
    }

    private static GenerationRequest Request(string id, string text, ResolvedSampling sampling, ulong seed = 99) =>
        new(id, TinyPolicy.Encode(text), sampling, GenerationRequest.SeedsFor(seed, id, sampling.Candidates));

    /// <summary>The engine's batch generator on one prompt and one seed: the independent reference.</summary>
    private static GenerationResult Reference(PolicyRuntime policy, int[] prompt, SamplingOptions options, ulong seed, int capacity = 64)
    {
        var rngs = new[] { new Xoshiro256(seed) };
        return new Engine.Inference.Generator(policy.Model, 1, capacity).Generate([prompt], options, rngs)[0];
    }

    [Fact]
    public void Every_candidate_matches_the_engine_generator_run_alone_when_prompts_outnumber_slots()
    {
        var policy = TinyPolicy.Runtime(11);
        var decoder = new ContinuousBatchDecoder(policy, slots: 3, capacity: 64, maxStepTokens: 3 + 40);
        var sampling = Sampling(n: 3, maxNew: 12);
        var requests = new[] { "2+2=", "hello there", "a", "the quick brown fox" }
            .Select((text, i) => Request($"p{i}", text, sampling)).ToArray();
        foreach (var r in requests)
        {
            decoder.Submit(r);
        }

        RunToCompletion(decoder);

        foreach (var r in requests)
        {
            Assert.True(r.Completion.IsCompletedSuccessfully, $"prompt {r.PromptId} did not complete");
            var outcome = Outcome(r);
            Assert.Equal(3, outcome.Candidates.Count);
            for (var i = 0; i < 3; i++)
            {
                var c = outcome.Candidates[i];
                var expected = Reference(policy, r.PromptTokens, sampling.Sampling, r.Seeds[i]);
                Assert.Equal(r.Seeds[i], c.Seed);
                Assert.Equal(expected.Tokens, c.Tokens);
                Assert.Equal(expected.StopReason, c.StopReason);
                Assert.Equal(expected.LogProbs.Length, c.LogProbs.Length);
                for (var t = 0; t < c.LogProbs.Length; t++)
                {
                    Assert.True(Math.Abs(expected.LogProbs[t] - c.LogProbs[t]) < 1e-4, $"{r.PromptId}[{i}] token {t}: log-prob {c.LogProbs[t]} vs engine {expected.LogProbs[t]}");
                }
                Assert.Equal(0, c.VersionStart);
                Assert.Equal(0, c.VersionEnd);
            }
        }
    }

    [Fact]
    public void Same_seed_and_submissions_replay_bit_identically_and_another_seed_differs()
    {
        static IReadOnlyList<GenerationOutcome> Run(ulong seed)
        {
            var decoder = new ContinuousBatchDecoder(TinyPolicy.Runtime(5), slots: 4, capacity: 64, maxStepTokens: 48);
            var sampling = Sampling(n: 4, maxNew: 16, temperature: 1f, topP: 1f);
            var requests = Enumerable.Range(0, 5).Select(i => Request($"replay-{i}", $"prompt number {i}", sampling, seed)).ToArray();
            foreach (var r in requests)
            {
                decoder.Submit(r);
            }
            RunToCompletion(decoder);
            return requests.Select(r => Outcome(r)).ToArray();
        }

        var first = Run(7);
        var second = Run(7);
        var other = Run(8);
        for (var p = 0; p < first.Count; p++)
        {
            Assert.Equal(first[p].PromptEmbedding, second[p].PromptEmbedding);
            for (var i = 0; i < first[p].Candidates.Count; i++)
            {
                Assert.Equal(first[p].Candidates[i].Tokens, second[p].Candidates[i].Tokens);
                Assert.Equal(first[p].Candidates[i].LogProbs, second[p].Candidates[i].LogProbs);
                Assert.Equal(first[p].Candidates[i].Seed, second[p].Candidates[i].Seed);
            }
        }
        var differs = first.Zip(other).Any(pair => pair.First.Candidates.Zip(pair.Second.Candidates).Any(c => !c.First.Tokens.SequenceEqual(c.Second.Tokens)));
        Assert.True(differs, "a different Generator:Seed should change at least one candidate");
    }

    [Fact]
    public void A_finished_sequence_frees_its_slot_for_the_next_waiting_one_at_the_following_step()
    {
        // Two slots, no stop tokens: A stops after 2 tokens, B after 6, C after 3.
        // Step 1 prefills A and B; step 2 ends A; step 3 admits C into A's slot; C ends at step 5, B at step 6.
        var policy = TinyPolicy.Runtime(3);
        var decoder = new ContinuousBatchDecoder(policy, slots: 2, capacity: 64, maxStepTokens: 40);
        var a = Request("A", "aaa", Sampling(1, 2, stopAtEos: false));
        var b = Request("B", "bbbb", Sampling(1, 6, stopAtEos: false));
        var c = Request("C", "cc", Sampling(1, 3, stopAtEos: false));
        decoder.Submit(a);
        decoder.Submit(b);
        decoder.Submit(c);

        var completedAt = new Dictionary<string, int>();
        var step = 0;
        while (decoder.Step())
        {
            step++;
            foreach (var r in new[] { a, b, c })
            {
                if (r.Completion.IsCompleted && !completedAt.ContainsKey(r.PromptId))
                {
                    completedAt[r.PromptId] = step;
                }
            }
            Assert.True(step < 100, "decoding did not finish");
        }

        Assert.Equal(6, step);
        Assert.Equal(2, completedAt["A"]);
        Assert.Equal(5, completedAt["C"]);
        Assert.Equal(6, completedAt["B"]);
        Assert.Equal(3, Outcome(c).Candidates[0].Tokens.Length);
        Assert.All(new[] { a, b, c }, r => Assert.Equal(StopReason.MaxTokens, Outcome(r).Candidates[0].StopReason));
    }

    [Fact]
    public void More_prompts_than_slots_keep_every_slot_busy_and_report_full_occupancy()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var instruments = new GeneratorInstruments(factory);
        var occupancy = new List<double>();
        long tokens = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name is MetricNames.Generator.DecodeBatchOccupancy or MetricNames.Generator.TokensGenerated)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => occupancy.Add(value));
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => tokens += value);
        listener.Start();

        var decoder = new ContinuousBatchDecoder(TinyPolicy.Runtime(4), slots: 4, capacity: 64, maxStepTokens: 40, instruments: instruments);
        var requests = Enumerable.Range(0, 12).Select(i => Request($"o{i}", $"prompt {i}", Sampling(1, 8, stopAtEos: false))).ToArray();
        foreach (var r in requests)
        {
            decoder.Submit(r);
        }
        var steps = RunToCompletion(decoder);

        // 12 sequences of exactly 8 tokens through 4 slots: 3 waves of 8 steps, never an idle slot.
        Assert.Equal(24, steps);
        Assert.All(requests, r => Assert.Equal(8, Outcome(r).Candidates[0].Tokens.Length));
        Assert.Equal(24, occupancy.Count);
        Assert.All(occupancy, o => Assert.Equal(1.0, o));
        Assert.Equal(12 * 8, tokens);
    }

    [Fact]
    public void Prompt_embedding_is_the_final_normed_hidden_state_at_the_last_prompt_token()
    {
        var policy = TinyPolicy.Runtime(21);
        var decoder = new ContinuousBatchDecoder(policy, slots: 2, capacity: 64, maxStepTokens: 40);
        var r = Request("emb", "context please", Sampling(2, 3));
        decoder.Submit(r);
        RunToCompletion(decoder);

        var session = new TrainingSession(TinyPolicy.Model(21), 1, 64, 64);
        session.Batch.Clear();
        session.Batch.Add(r.PromptTokens);
        session.Forward(forBackward: false);
        var expected = session.HiddenAt(0, r.PromptTokens.Length - 1).ToArray();
        Assert.Equal(32, Outcome(r).PromptEmbedding.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - Outcome(r).PromptEmbedding[i]) < 1e-5, $"embedding[{i}] {Outcome(r).PromptEmbedding[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void A_swap_between_steps_changes_the_version_mid_sequence_and_the_new_weights_decode_the_rest()
    {
        using var temp = new TempFolder("gen-swap");
        var folderB = TinyPolicy.SaveFolder(temp.Sub("b"), seed: 2);
        var policy = TinyPolicy.Runtime(1);
        var decoder = new ContinuousBatchDecoder(policy, slots: 1, capacity: 64, maxStepTokens: 40);
        var sampling = Sampling(1, 10, temperature: 1f, topP: 1f, stopAtEos: false);
        var r = Request("swap", "mid sequence", sampling);
        decoder.Submit(r);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(decoder.Step());
        }
        Assert.True(policy.TrySwap(folderB, 1, out var reason), reason);
        Assert.Equal(1, policy.Version);
        RunToCompletion(decoder);
        var candidate = Outcome(r).Candidates[0];
        Assert.Equal(0, candidate.VersionStart);
        Assert.Equal(1, candidate.VersionEnd);

        // Reference with engine primitives: 3 tokens under A (prompt KV from A), then the flip, then B.
        var reference = TinyPolicy.Model(1);
        var session = new DecodeSession(reference, 1, 64, 40);
        var rng = new Xoshiro256(r.Seeds[0]);
        var scratch = new float[Sampler.ScratchLength(reference.Config.VocabSize)];
        var tokens = new List<int>();
        var logps = new List<float>();
        var logits = session.Step([0], r.PromptTokens, [r.PromptTokens.Length]).ToArray();
        for (var t = 0; t < 10; t++)
        {
            var pick = Sampler.Sample(logits, ref rng, sampling.Sampling, scratch);
            tokens.Add(pick.Token);
            logps.Add(pick.LogProb);
            if (t == 2)
            {
                // The decoder flipped after its third step: the step that feeds token 2 runs under B.
                Assert.True(reference.TrySwapFrom(folderB, "1", out var why), why);
            }
            if (t < 9)
            {
                logits = session.Step([0], [pick.Token], [1]).ToArray();
            }
        }
        Assert.Equal(tokens, candidate.Tokens);
        for (var t = 0; t < 10; t++)
        {
            Assert.True(Math.Abs(logps[t] - candidate.LogProbs[t]) < 1e-4, $"token {t}: {candidate.LogProbs[t]} vs reference {logps[t]}");
        }

        // Without the swap the same seed continues differently: the new weights were used.
        var unswapped = Reference(TinyPolicy.Runtime(1), r.PromptTokens, sampling.Sampling, r.Seeds[0]);
        Assert.Equal(unswapped.Tokens.Take(3), candidate.Tokens.Take(3));
        Assert.NotEqual(unswapped.LogProbs.Skip(3), candidate.LogProbs.Skip(3));
    }

    [Fact]
    public void Non_finite_or_mismatched_weights_are_refused_and_the_old_version_keeps_serving()
    {
        using var temp = new TempFolder("gen-refuse");
        var nanModel = TinyPolicy.Model(9);
        nanModel.Weights.Data[17] = float.NaN;
        var nanFolder = temp.Sub("nan");
        nanModel.Save(nanFolder);
        var otherShape = temp.Sub("other");
        Engine.Model.LlamaModel.CreateRandom(new Engine.IO.LlamaConfig
        {
            VocabSize = ByteTokenizer.VocabSizeConstant, HiddenSize = 64, IntermediateSize = 64, NumHiddenLayers = 2,
            NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 128, BosTokenId = 256, EosTokenIds = [257],
        }, 3).Save(otherShape);

        var policy = TinyPolicy.Runtime(6);
        Assert.False(policy.TrySwap(nanFolder, 1, out var nanReason));
        Assert.Contains("non-finite", nanReason, StringComparison.Ordinal);
        Assert.False(policy.TrySwap(otherShape, 2, out var shapeReason));
        Assert.Contains("architecture", shapeReason, StringComparison.Ordinal);
        Assert.False(policy.TrySwap(temp.Sub("empty"), 3, out var missingReason));
        Assert.NotNull(missingReason);
        Assert.Equal(0, policy.Version);

        var decoder = new ContinuousBatchDecoder(policy, slots: 2, capacity: 64, maxStepTokens: 40);
        var sampling = Sampling(2, 8);
        var r = Request("after-refusal", "still serving", sampling);
        decoder.Submit(r);
        RunToCompletion(decoder);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(Reference(TinyPolicy.Runtime(6), r.PromptTokens, sampling.Sampling, r.Seeds[i]).Tokens, Outcome(r).Candidates[i].Tokens);
        }
    }

    [Fact]
    public void A_logits_processor_edits_what_is_sampled_but_not_the_behavior_log_probs()
    {
        var policy = TinyPolicy.Runtime(8);
        var banned = new BanProcessor(ByteTokenizer.EosIdConstant);
        var decoder = new ContinuousBatchDecoder(policy, slots: 2, capacity: 64, maxStepTokens: 40, processor: banned);
        var sampling = Sampling(2, 6, temperature: 0f);
        var r = Request("proc", "x", sampling);
        decoder.Submit(r);
        RunToCompletion(decoder);

        Assert.True(banned.Calls >= 2);
        var reference = new Engine.Inference.Generator(TinyPolicy.Model(8), 1, 64)
            .Generate([r.PromptTokens], sampling.Sampling, [new Xoshiro256(r.Seeds[0])], new BanProcessor(ByteTokenizer.EosIdConstant))[0];
        Assert.DoesNotContain(ByteTokenizer.EosIdConstant, Outcome(r).Candidates[0].Tokens);
        Assert.Equal(reference.Tokens, Outcome(r).Candidates[0].Tokens);
        // The log-probs stay those of the raw model distribution, where the banned token still has mass.
        Assert.Equal(reference.LogProbs, Outcome(r).Candidates[0].LogProbs);
    }

    /// <summary>Forbids one token (a stand-in for ARM-guided decoding's logit edits).</summary>
    private sealed class BanProcessor(int token) : ILogitsProcessor
    {
        public int Calls { get; private set; }

        public void Process(int sequence, ReadOnlySpan<int> tokensSoFar, Span<float> logits)
        {
            Calls++;
            logits[token] = float.NegativeInfinity;
        }
    }
}
