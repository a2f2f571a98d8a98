using AlignStream.Contracts.Events;
using AlignStream.Engine.Inference;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tokenization;
using AlignStream.Generator.Decoding;
using AlignStream.Generator.Tests.Support;
using AlignStream.Platform.State;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Platform.Weights;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace AlignStream.Generator.Tests.Service;

/// <summary>Weight hot swap in the hosted generator: event-driven, mid-sequence, and refusing bad versions.</summary>
public sealed class GeneratorHotSwapTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_version_published_mid_sequence_flips_between_steps_and_bad_versions_are_refused_while_the_old_one_serves()
    {
        await using var harness = new GeneratorHarness(promptPartitions: 1);
        var gate = new PausingProcessor(promptLength: 8, pauseAtGenerated: 3); // BOS + "swap me"
        // No periodic check in this test: only the bus event can trigger the swap.
        await harness.StartAsync(
            ["--Generator:UseLogitsProcessor=true", "--Generator:WeightsPollSeconds=3600", "--Generator:Defaults:Candidates=1",
             "--Generator:Defaults:MaxNewTokens=10", "--Generator:Defaults:Temperature=1", "--Generator:StopAtEos=false"],
            services => services.AddSingleton<ILogitsProcessor>(gate));
        var store = new WeightStoreDirectory(harness.WeightStore, new ManifestSigner(GeneratorHarness.SigningKey));
        var bus = harness.App.Services.GetRequiredService<IBus>();

        await harness.ProduceAsync(GeneratorHarness.Prompt("mid", "swap me"));
        Assert.True(await gate.Paused.WaitAsync(Wait), "phase: the decode thread reaching the 4th token of the sequence");

        // Publish version 1 while the sequence is in flight, exactly as the trainer does: store, pointer, event.
        var folderB = TinyPolicy.SaveFolder(harness.Folder("v1"), seed: 2);
        var v1 = await store.PublishAsync(folderB, 1, 0, 10);
        await harness.State.SetManifestAsync(ManifestKind.Policy, v1);
        await bus.Publish(new PolicyWeightsPublished(v1.Version, v1.Step, v1.Uri, v1.Sha256, v1.Bytes, v1.Signature, 0));
        await Eventually.WaitAsync(() => harness.Policy.Version == 1, Wait, "the policy flipping to version 1 on the event", () => $"serving {harness.Policy.Version}");
        gate.Release();

        var set = (await harness.ReadCandidatesAsync(1, "the mid-swap candidate set"))[0];
        var candidate = set.Candidates.Single();
        Assert.Equal(0, set.PolicyVersionStart);
        Assert.Equal(1, set.PolicyVersionEnd);
        Assert.Equal(0, candidate.PolicyVersionStart);
        Assert.Equal(1, candidate.PolicyVersionEnd);
        Assert.Equal(10, candidate.Tokens.Count);

        // Reference with engine primitives: tokens 0..3 from logits of version 0, the step feeding token 3 onwards under version 1.
        var expected = ReferenceWithFlip(TinyPolicy.Model(1), folderB, [.. set.PromptTokens], candidate.SamplingSeed, flipAfterToken: 3, count: 10);
        Assert.Equal(expected.Tokens, candidate.Tokens);
        Assert.All(candidate.BehaviorLogprobs.Zip(expected.LogProbs), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-4, $"log-prob {p.First} vs reference {p.Second}"));

        // A corrupted file (bytes changed after publication) and a manifest signed with another key are refused.
        var v2 = await store.PublishAsync(TinyPolicy.SaveFolder(harness.Folder("v2"), seed: 3), 2, 1, 20);
        var file = Path.Combine(harness.WeightStore, v2.Uri["weights:".Length..], WeightStoreDirectory.WeightsFile);
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[^5] ^= 0x5A;
        await File.WriteAllBytesAsync(file, bytes);
        await harness.State.SetManifestAsync(ManifestKind.Policy, v2);
        await bus.Publish(new PolicyWeightsPublished(v2.Version, v2.Step, v2.Uri, v2.Sha256, v2.Bytes, v2.Signature, 1));
        await Eventually.WaitAsync(async () => GeneratorHarness.MetricValue(await harness.ScrapeAsync(), "align_weights_refusals_total", "reason=\"hash-mismatch\"") == 1,
            Wait, "the corrupted version 2 refused");

        var forger = new WeightStoreDirectory(harness.WeightStore, new ManifestSigner("someone-elses-signing-key"));
        var v3 = await forger.PublishAsync(TinyPolicy.SaveFolder(harness.Folder("v3"), seed: 4), 3, 1, 30);
        await harness.State.SetManifestAsync(ManifestKind.Policy, v3);
        await bus.Publish(new PolicyWeightsPublished(v3.Version, v3.Step, v3.Uri, v3.Sha256, v3.Bytes, v3.Signature, 1));
        await Eventually.WaitAsync(async () => GeneratorHarness.MetricValue(await harness.ScrapeAsync(), "align_weights_refusals_total", "reason=\"bad-signature\"") == 1,
            Wait, "the wrongly signed version 3 refused");
        Assert.Equal(1, harness.Policy.Version);

        // Version 1 keeps serving: the next prompt is generated entirely by it.
        await harness.ProduceAsync(GeneratorHarness.Prompt("after", "still version one"));
        var sets = await harness.ReadCandidatesAsync(2, "a candidate set after the refusals");
        var after = sets.Single(s => s.Prompt.PromptId == "after");
        Assert.Equal(1, after.PolicyVersionStart);
        Assert.Equal(1, after.PolicyVersionEnd);
        var v1Model = Engine.Model.LlamaModel.Load(folderB);
        var options = new SamplingOptions { Temperature = 1f, MaxNewTokens = 10 };
        Assert.Equal(GeneratorHarness.Reference(v1Model, [.. after.PromptTokens], options, after.Candidates[0].SamplingSeed).Tokens, after.Candidates[0].Tokens);

        await Eventually.WaitAsync(async () => GeneratorHarness.MetricValue(await harness.ScrapeAsync(), "align_weights_swaps_total", "kind=\"policy\"") == 1,
            Wait, "the swap counter");
        var metrics = await harness.ScrapeAsync();
        Assert.Equal(1, GeneratorHarness.MetricValue(metrics, "align_generator_policy_version"));
        Assert.Equal(1, GeneratorHarness.MetricValue(metrics, "align_weights_swaps_total", "kind=\"policy\""));
        Assert.NotNull(GeneratorHarness.MetricValue(metrics, "align_generator_decode_step_gap_max_seconds"));
    }

    [Fact]
    public async Task A_generator_started_after_a_publication_serves_the_pointer_version_from_its_first_prompt()
    {
        await using var harness = new GeneratorHarness();
        var store = new WeightStoreDirectory(harness.WeightStore, new ManifestSigner(GeneratorHarness.SigningKey));
        var folder = TinyPolicy.SaveFolder(harness.Folder("v7"), seed: 7);
        await harness.State.SetManifestAsync(ManifestKind.Policy, await store.PublishAsync(folder, 7, 6, 70));
        await harness.ProduceAsync(GeneratorHarness.Prompt("first", "which version?"));

        await harness.StartAsync(["--Generator:WeightsPollSeconds=3600", "--Generator:Defaults:Candidates=2"]);

        var set = (await harness.ReadCandidatesAsync(1, "the first candidate set after start"))[0];
        Assert.Equal(7, set.PolicyVersionStart);
        Assert.Equal(7, set.PolicyVersionEnd);
        Assert.Equal(AlignStream.Generator.Handling.CandidateSetIds.For("first", GeneratorHarness.Seed, 7), set.RecordId);
        var options = new SamplingOptions { Temperature = 0.9f, MaxNewTokens = 12, StopTokens = [ByteTokenizer.EosIdConstant] };
        var v7 = Engine.Model.LlamaModel.Load(folder);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(GeneratorHarness.Reference(v7, [.. set.PromptTokens], options, set.Candidates[i].SamplingSeed).Tokens, set.Candidates[i].Tokens);
        }
    }

    /// <summary>Samples <paramref name="count"/> tokens with one DecodeSession, flipping the model's weights after token <paramref name="flipAfterToken"/> was drawn.</summary>
    private static (int[] Tokens, float[] LogProbs) ReferenceWithFlip(Engine.Model.LlamaModel model, string flipFolder, int[] prompt, ulong seed, int flipAfterToken, int count)
    {
        var options = new SamplingOptions { Temperature = 1f, MaxNewTokens = count };
        var session = new DecodeSession(model, 1, 64, 64);
        var rng = new Xoshiro256(seed);
        var scratch = new float[Sampler.ScratchLength(model.Config.VocabSize)];
        var tokens = new List<int>();
        var logps = new List<float>();
        var logits = session.Step([0], prompt, [prompt.Length]).ToArray();
        for (var t = 0; t < count; t++)
        {
            var pick = Sampler.Sample(logits, ref rng, options, scratch);
            tokens.Add(pick.Token);
            logps.Add(pick.LogProb);
            if (t == flipAfterToken)
            {
                Assert.True(model.TrySwapFrom(flipFolder, "1", out var why), why);
            }
            if (t < count - 1)
            {
                logits = session.Step([0], [pick.Token], [1]).ToArray();
            }
        }
        return ([.. tokens], [.. logps]);
    }
}
