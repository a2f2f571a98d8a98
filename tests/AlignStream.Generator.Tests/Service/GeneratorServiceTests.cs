using AlignStream.Contracts.Records;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tokenization;
using AlignStream.Generator.Backpressure;
using AlignStream.Generator.Decoding;
using AlignStream.Generator.Handling;
using AlignStream.Generator.Tests.Support;
using AlignStream.Platform.Kafka;
using AlignStream.Platform.Metrics;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Platform.Tests.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace AlignStream.Generator.Tests.Service;

/// <summary>The generator stage hosted over the in-process mock Kafka cluster with a tiny random model.</summary>
public sealed class GeneratorServiceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Prompts_in_become_candidate_sets_out_equal_to_the_engine_run_alone_per_seed()
    {
        await using var harness = new GeneratorHarness();
        await harness.StartAsync(["--Generator:ConsumerLoops=2", "--Generator:Tasks:arith:Candidates=2", "--Generator:Tasks:arith:MaxNewTokens=5", "--Generator:Tasks:arith:Temperature=1"]);
        var prompts = new[]
        {
            GeneratorHarness.Prompt("p-1", "What is 2+2?", "arith"),
            GeneratorHarness.Prompt("p-2", "Tell me a story"),
            GeneratorHarness.Prompt("p-3", "x"),
            GeneratorHarness.Prompt("p-4", "7*6=", "arith"),
            GeneratorHarness.Prompt("p-5", "Good morning"),
            GeneratorHarness.Prompt("p-6", "unknown tasks use the defaults", "poetry"),
        };
        await harness.ProduceAsync(prompts);

        var sets = await harness.ReadCandidatesAsync(prompts.Length, "candidate sets for 6 prompts");

        var reference = TinyPolicy.Model(1);
        foreach (var set in sets)
        {
            var prompt = prompts.Single(p => p.PromptId == set.Prompt.PromptId);
            var arith = prompt.Task == "arith";
            var options = new SamplingOptions
            {
                Temperature = arith ? 1f : 0.9f,
                MaxNewTokens = arith ? 5 : 12,
                StopTokens = [ByteTokenizer.EosIdConstant],
            };
            Assert.Equal(CandidateSetIds.For(prompt.PromptId, GeneratorHarness.Seed, 0), set.RecordId);
            Assert.Equal(TinyPolicy.Encode(prompt.Text), set.PromptTokens);
            Assert.Equal(0, set.PolicyVersionStart);
            Assert.Equal(0, set.PolicyVersionEnd);
            Assert.Equal("gen-test", set.GeneratorId);
            Assert.Equal(32, set.PromptEmbedding.Count);
            Assert.True(set.Timings.GenerateMs > 0);
            Assert.Equal(arith ? 2 : 3, set.Candidates.Count);
            var seeds = GenerationRequest.SeedsFor(GeneratorHarness.Seed, prompt.PromptId, set.Candidates.Count);
            for (var i = 0; i < set.Candidates.Count; i++)
            {
                var c = set.Candidates[i];
                var expected = GeneratorHarness.Reference(reference, [.. set.PromptTokens], options, seeds[i]);
                Assert.Equal(seeds[i], c.SamplingSeed);
                Assert.Equal(expected.Tokens, c.Tokens);
                Assert.Equal(c.Tokens.Count, c.BehaviorLogprobs.Count);
                Assert.All(c.BehaviorLogprobs.Zip(expected.LogProbs), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-4, $"log-prob {p.First} vs engine {p.Second}"));
                Assert.Equal(expected.StopReason == Engine.Inference.StopReason.StopToken ? "stop" : "length", c.FinishReason);
                Assert.Equal(ByteTokenizer.Instance.Decode([.. c.Tokens], skipSpecialTokens: true), c.Text);
                Assert.Equal(0, c.PolicyVersionStart);
                Assert.Equal(0, c.PolicyVersionEnd);
            }
        }

        await Eventually.WaitAsync(async () => (await harness.State.ListLiveAsync()).Any(h => h.Id == "gen-test"), Wait, "the generator's heartbeat");
        // Counters move right after the acknowledgement, so a reader can see the last record a moment before them.
        await Eventually.WaitAsync(async () => GeneratorHarness.MetricValue(await harness.ScrapeAsync(), "align_generator_candidate_sets_published_total") == 6,
            Wait, "the published-sets counter reaching 6");
        var metrics = await harness.ScrapeAsync();
        Assert.Equal(16, GeneratorHarness.MetricValue(metrics, "align_generator_candidates_generated_total", "finish_reason=\"length\"")
            + (GeneratorHarness.MetricValue(metrics, "align_generator_candidates_generated_total", "finish_reason=\"stop\"") ?? 0));
        Assert.Equal(sets.Sum(s => s.Candidates.Sum(c => c.Tokens.Count)), GeneratorHarness.MetricValue(metrics, "align_generator_tokens_generated_total"));
        Assert.True(GeneratorHarness.MetricValue(metrics, "align_generator_decode_batch_occupancy_count") > 0);
        Assert.True(GeneratorHarness.MetricValue(metrics, "align_generator_decode_step_duration_seconds_count") > 0);
        Assert.NotNull(GeneratorHarness.MetricValue(metrics, "align_generator_policy_version"));
    }

    [Fact]
    public async Task Oversized_and_unknown_task_prompts_go_to_the_dead_letter_topic_with_reasons_while_the_next_is_generated()
    {
        await using var harness = new GeneratorHarness(promptPartitions: 1);
        await harness.StartAsync(["--Generator:MaxPromptTokens=16", "--Generator:UnknownTask=Reject", "--Generator:Tasks:chat:MaxNewTokens=4"]);
        await harness.ProduceAsync(
            GeneratorHarness.Prompt("too-long", new string('z', 40)),
            GeneratorHarness.Prompt("no-task", "hello", "astrology"),
            GeneratorHarness.Prompt("fine", "hello"));

        var dead = await harness.ReadDeadLettersAsync(2, "two dead letters");
        var sets = await harness.ReadCandidatesAsync(1, "the good prompt's candidate set");

        Assert.Equal("fine", sets[0].Prompt.PromptId);
        var reasons = dead.ToDictionary(d => System.Text.Encoding.UTF8.GetString(d.Message.Key), d => d.Message.Headers.GetString(KafkaHeaderNames.Reason) ?? "");
        Assert.Contains("41 tokens", reasons["too-long"], StringComparison.Ordinal);
        Assert.Contains("Generator:MaxPromptTokens=16", reasons["too-long"], StringComparison.Ordinal);
        Assert.Contains("task 'astrology'", reasons["no-task"], StringComparison.Ordinal);
        Assert.Contains("Generator:UnknownTask=Default", reasons["no-task"], StringComparison.Ordinal);
        Assert.All(dead, d => Assert.Equal("generator", d.Message.Headers.GetString(KafkaHeaderNames.Stage)));
        var metrics = await harness.ScrapeAsync();
        Assert.Equal(1, GeneratorHarness.MetricValue(metrics, "align_generator_prompts_rejected_total", "reason=\"too_long\""));
        Assert.Equal(1, GeneratorHarness.MetricValue(metrics, "align_generator_prompts_rejected_total", "reason=\"unknown_task\""));
    }

    [Fact]
    public async Task A_replay_in_a_fresh_group_reproduces_every_set_and_a_redelivery_is_dropped_as_duplicate()
    {
        await using var harness = new GeneratorHarness();
        var prompts = Enumerable.Range(0, 5).Select(i => GeneratorHarness.Prompt($"r-{i}", $"replay prompt {i}")).ToArray();
        await harness.ProduceAsync(prompts);
        await harness.StartAsync();
        var first = await harness.ReadCandidatesAsync(5, "first run");
        await harness.StopAsync();

        // Same prompts in a new consumer group: remembered ids are dropped (at-least-once redelivery).
        await harness.StartAsync(["--Generator:GroupId=redelivery"]);
        await Eventually.WaitAsync(async () => GeneratorHarness.MetricValue(await harness.ScrapeAsync(), "align_generator_prompts_consumed_total", "outcome=\"duplicate\"") == 5,
            Wait, "five redelivered prompts dropped as duplicates");
        Assert.Equal(0, harness.Decoder.StepCount);
        await harness.StopAsync();

        // A replay that does not drop duplicates regenerates the same sets bit for bit.
        await harness.StartAsync(["--Generator:GroupId=replay", "--Generator:DropDuplicatePrompts=false"]);
        var all = await harness.ReadCandidatesAsync(10, "replayed run");
        var second = all.GroupBy(s => s.Prompt.PromptId).ToDictionary(g => g.Key, g => g.ToArray());
        foreach (var original in first)
        {
            var copies = second[original.Prompt.PromptId];
            Assert.Equal(2, copies.Length);
            Assert.Equal(copies[0].RecordId, copies[1].RecordId);
            Assert.Equal(copies[0].PromptTokens, copies[1].PromptTokens);
            for (var i = 0; i < copies[0].Candidates.Count; i++)
            {
                var (a, b) = (copies[0].Candidates[i], copies[1].Candidates[i]);
                Assert.Equal(a.SamplingSeed, b.SamplingSeed);
                Assert.Equal(a.Tokens, b.Tokens);
                Assert.Equal(a.Text, b.Text);
                Assert.Equal(a.FinishReason, b.FinishReason);
                // Kafka batches (hence GEMM row counts) differ between runs, so the float log-probs agree to rounding only;
                // with identical batches they are bit-identical (see the decoder replay test).
                Assert.All(a.BehaviorLogprobs.Zip(b.BehaviorLogprobs), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-4, $"log-prob {p.First} vs {p.Second}"));
            }
            Assert.All(copies[0].PromptEmbedding.Zip(copies[1].PromptEmbedding), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-4));
        }
    }

    [Fact]
    public async Task Backpressure_holds_generation_while_the_trainer_backlog_is_above_the_bound_and_resumes_when_it_drops()
    {
        await using var harness = new GeneratorHarness();
        await harness.State.SetValueAsync(TrainerBacklogGate.BacklogKey, "1000");
        await harness.StartAsync(["--Generator:MaxTrainerBacklog=10"]);
        await harness.ProduceAsync(GeneratorHarness.Prompt("held", "wait for the trainer"));

        await Eventually.WaitAsync(async () => GeneratorHarness.MetricValue(await harness.ScrapeAsync(), "align_generator_backpressure_waits_total") >= 3,
            Wait, "the generator waiting on the trainer backlog");
        Assert.Equal(0, harness.Decoder.StepCount);
        var metrics = await harness.ScrapeAsync();
        Assert.Equal(1000, GeneratorHarness.MetricValue(metrics, "align_generator_observed_trainer_backlog_pairs"));
        Assert.Null(GeneratorHarness.MetricValue(metrics, "align_generator_candidate_sets_published_total"));

        await harness.State.SetValueAsync(TrainerBacklogGate.BacklogKey, "4");
        var sets = await harness.ReadCandidatesAsync(1, "generation after the backlog dropped");
        Assert.Equal("held", sets[0].Prompt.PromptId);
        Assert.True(harness.Decoder.StepCount > 0);
    }

    [Fact]
    public async Task A_graceful_stop_finishes_and_publishes_the_prompt_in_flight_before_the_host_exits()
    {
        await using var harness = new GeneratorHarness(promptPartitions: 1);
        var gate = new PausingProcessor(promptLength: 6, pauseAtGenerated: 2); // BOS + "drain"
        await harness.StartAsync(["--Generator:UseLogitsProcessor=true", "--Generator:Defaults:Candidates=2", "--Generator:StopAtEos=false"],
            services => services.AddSingleton<ILogitsProcessor>(gate));
        var connection = harness.Connection;
        var lifetime = harness.App.Services.GetRequiredService<IHostApplicationLifetime>();
        await harness.ProduceAsync(GeneratorHarness.Prompt("in-flight", "drain"));
        Assert.True(await gate.Paused.WaitAsync(Wait), "phase: the prompt reaching the decode batch");

        var stopping = harness.StopAsync();
        await Eventually.WaitAsync(() => lifetime.ApplicationStopping.IsCancellationRequested, Wait, "the host beginning to stop");
        gate.Release();
        await stopping.WaitAsync(Wait);

        var records = await TopicReader.ReadAsync(connection, harness.Namespace + ".candidates", 1, Wait, "the drained candidate set");
        var set = CandidateSet.Parser.ParseFrom(records[0].Message.Value);
        Assert.Equal("in-flight", set.Prompt.PromptId);
        Assert.All(set.Candidates, c => Assert.Equal(12, c.Tokens.Count));
        Assert.Equal(set.RecordId, await harness.State.GetValueAsync(PromptBatchHandler.DoneKey("in-flight")));
    }

    [Fact]
    public void Metric_names_of_the_generator_follow_the_prometheus_conventions()
    {
        var names = typeof(MetricNames.Generator).GetFields().Select(f => (string)f.GetValue(null)!).ToArray();
        Assert.All(names, n => Assert.Matches("^align_generator_[a-z0-9_]+$", n));
        Assert.All(names, n => Assert.False(n.EndsWith("_total", StringComparison.Ordinal), n));
        Assert.Equal(names.Length, names.Distinct().Count());
    }
}
