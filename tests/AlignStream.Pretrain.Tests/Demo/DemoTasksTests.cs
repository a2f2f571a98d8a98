using AlignStream.Alignment.Rewards;
using AlignStream.Cli.Demo;
using AlignStream.Cli.Pretraining;

namespace AlignStream.Pretrain.Tests.Demo;

/// <summary>The demo's prompt stream and eval set: real held-out text, disjoint, task-homogeneous, seeded.</summary>
public sealed class DemoTasksTests
{
    private static readonly IReadOnlyList<string> HeldOut = BrownCorpus.HeldOutSentences();

    [Fact]
    public void Eval_prompts_are_fixed_by_the_seed_and_never_streamed()
    {
        var options = new DemoOptions { Seed = 7, EvalPrompts = 32, Chunk = 8 };
        var a = new DemoTasks(HeldOut, options);
        var b = new DemoTasks(HeldOut, options);
        Assert.Equal(a.EvalSentiment, b.EvalSentiment);
        Assert.Equal(a.EvalArith, b.EvalArith);
        Assert.Equal(32, a.EvalSentiment.Count);
        Assert.Equal(32, a.EvalArith.Select(p => p.Text).Distinct().Count());

        var eval = a.EvalSentiment.Concat(a.EvalArith).Select(p => p.Text).ToHashSet(StringComparer.Ordinal);
        var streamed = Enumerable.Range(0, 400).SelectMany(_ => a.NextChunk()).ToList();
        Assert.DoesNotContain(streamed, p => eval.Contains(p.Text));
        Assert.Contains(streamed, p => p.Task == DemoTasks.Sentiment);
        Assert.Contains(streamed, p => p.Task == DemoTasks.Arith);

        var other = new DemoTasks(HeldOut, new DemoOptions { Seed = 8, EvalPrompts = 32, Chunk = 8 });
        Assert.NotEqual(a.EvalSentiment.Select(p => p.Text), other.EvalSentiment.Select(p => p.Text));
    }

    [Fact]
    public void Chunks_hold_one_task_and_arith_prompts_have_answers_the_verifier_knows()
    {
        var tasks = new DemoTasks(HeldOut, new DemoOptions { Chunk = 5 });
        for (var i = 0; i < 50; i++)
        {
            var chunk = tasks.NextChunk();
            Assert.Equal(5, chunk.Count);
            Assert.Single(chunk.Select(p => p.Task).Distinct());
            foreach (var p in chunk.Where(p => p.Task == DemoTasks.Arith))
            {
                Assert.NotNull(ArithmeticRewardModel.ExpectedAnswer(p.Text));
            }
        }
    }

    [Theory]
    [InlineData("sentiment")]
    [InlineData("arith")]
    public void A_single_task_run_streams_only_that_task(string task)
    {
        var tasks = new DemoTasks(HeldOut, new DemoOptions { Task = task });
        Assert.Equal([task], tasks.Options.Tasks);
        Assert.All(Enumerable.Range(0, 20).SelectMany(_ => tasks.NextChunk()), p => Assert.Equal(task, p.Task));
    }

    [Fact]
    public void Sentiment_prompts_open_real_held_out_sentences()
    {
        var tasks = new DemoTasks(HeldOut, new DemoOptions { PromptWords = 6 });
        var sentences = HeldOut.ToArray();
        foreach (var p in tasks.EvalSentiment.Take(10))
        {
            Assert.Equal(6, p.Text.Split(' ').Length);
            Assert.Contains(sentences, s => s.StartsWith(p.Text + " ", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("The jury said it did find that many", 4, "The jury said it")]
    [InlineData("Too short to use", 4, null)]
    [InlineData("-- 12 of the members said yes today", 4, null)]
    public void Openings_take_the_first_words_of_long_enough_sentences(string sentence, int words, string? expected)
    {
        Assert.Equal(expected, DemoTasks.Opening(sentence, words));
    }

    [Fact]
    public void Too_few_sentences_for_the_eval_set_is_a_clear_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new DemoTasks(["one two three four five six seven eight nine ten"], new DemoOptions { EvalPrompts = 8 }));
        Assert.Contains("Demo:EvalPrompts", error.Message, StringComparison.Ordinal);
    }
}
