using AlignStream.Contracts.Records;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Generator.Decoding;
using AlignStream.Generator.Handling;
using AlignStream.Generator.Options;
using AlignStream.Generator.Policy;
using AlignStream.Generator.Tests.Support;

namespace AlignStream.Generator.Tests.Handling;

/// <summary>Which prompts can be generated, with which sampling, and the reasons of those that cannot (no network).</summary>
public sealed class PromptPreparerTests
{
    private static PromptPreparer Preparer(GeneratorOptions options, int maxPositions = 128)
    {
        var policy = new PolicyRuntime(LlamaModel.CreateRandom(TinyPolicy.Config(maxPositions), 1), ByteTokenizer.Instance);
        var capacity = Math.Min(maxPositions, options.MaxPromptTokens + options.LongestResponse());
        var decoder = new ContinuousBatchDecoder(policy, options.Slots, capacity, options.EffectiveMaxStepTokens);
        return new PromptPreparer(policy, decoder, Microsoft.Extensions.Options.Options.Create(options));
    }

    private static Prompt Prompt(string text, string task = "chat", uint schema = 1) => new() { SchemaVersion = schema, PromptId = "p", Task = task, Text = text };

    [Fact]
    public void Task_entries_override_the_defaults_field_by_field_and_unknown_tasks_use_the_defaults()
    {
        var options = new GeneratorOptions
        {
            Defaults = new TaskSampling { Candidates = 5, Temperature = 0.7f, MaxNewTokens = 20 },
            Tasks = new() { ["arith"] = new TaskSampling { MaxNewTokens = 6, TopK = 3 } },
        };
        var preparer = Preparer(options);

        var arith = preparer.Prepare(Prompt("1+1=", "arith"));
        Assert.True(arith.Accepted);
        Assert.Equal([ByteTokenizer.BosIdConstant, (int)'1', (int)'+', (int)'1', (int)'='], arith.Tokens!);
        Assert.Equal(5, arith.Sampling!.Candidates);
        Assert.Equal(6, arith.Sampling.Sampling.MaxNewTokens);
        Assert.Equal(3, arith.Sampling.Sampling.TopK);
        Assert.Equal(0.7f, arith.Sampling.Sampling.Temperature);
        Assert.Equal(1f, arith.Sampling.Sampling.TopP);
        Assert.Equal([ByteTokenizer.EosIdConstant], arith.Sampling.Sampling.StopTokens);

        var other = preparer.Prepare(Prompt("hi", "poetry"));
        Assert.Equal(20, other.Sampling!.Sampling.MaxNewTokens);
        Assert.Equal(0, other.Sampling.Sampling.TopK);
    }

    [Fact]
    public void Unprocessable_prompts_are_rejected_with_a_reason_naming_the_fix()
    {
        var preparer = Preparer(new GeneratorOptions { MaxPromptTokens = 10, UnknownTask = UnknownTaskPolicy.Reject, Tasks = new() { ["chat"] = new TaskSampling() } });

        var tooLong = preparer.Prepare(Prompt(new string('a', 10)));
        Assert.Equal("too_long", tooLong.RejectionKind);
        Assert.Contains("11 tokens", tooLong.Reason, StringComparison.Ordinal);
        Assert.Contains("Generator:MaxPromptTokens=10", tooLong.Reason, StringComparison.Ordinal);
        Assert.True(preparer.Prepare(Prompt(new string('a', 9))).Accepted);

        var unknown = preparer.Prepare(Prompt("x", "astrology"));
        Assert.Equal("unknown_task", unknown.RejectionKind);
        Assert.Contains("configured: chat", unknown.Reason, StringComparison.Ordinal);

        Assert.Equal("schema", preparer.Prepare(Prompt("x", schema: 2)).RejectionKind);
        Assert.Equal("missing_id", preparer.Prepare(new Prompt { SchemaVersion = 1, Task = "chat", Text = "x" }).RejectionKind);
    }

    [Fact]
    public void A_prompt_that_fits_the_limit_but_not_the_models_context_is_rejected_naming_the_context()
    {
        // 24 positions, 20 of them for the response: prompts of more than 23 tokens cannot leave room for one token.
        var preparer = Preparer(new GeneratorOptions { MaxPromptTokens = 64, Defaults = new TaskSampling { MaxNewTokens = 20 } }, maxPositions: 24);
        var rejected = preparer.Prepare(Prompt(new string('b', 30)));
        Assert.Equal("too_long", rejected.RejectionKind);
        Assert.Contains("context (24 positions)", rejected.Reason, StringComparison.Ordinal);
        Assert.True(preparer.Prepare(Prompt(new string('b', 22))).Accepted);
    }

    [Fact]
    public void Options_validation_names_each_bad_key()
    {
        var options = new GeneratorOptions
        {
            Slots = 0,
            MaxStepTokens = 3,
            Defaults = new TaskSampling { TopP = 1.5f },
            Tasks = new() { ["arith"] = new TaskSampling { Temperature = -1f, Candidates = 0 } },
        };
        var members = options.Validate().Select(p => p.Member).ToArray();
        Assert.Contains("Slots", members);
        Assert.Contains("MaxStepTokens", members);
        Assert.Contains("Defaults:TopP", members);
        Assert.Contains("Tasks:arith:Temperature", members);
        Assert.Contains("Tasks:arith:Candidates", members);
        Assert.Empty(new GeneratorOptions().Validate());
    }
}
