using System.Text.Json.Nodes;
using AlignStream.Alignment.Bandit;
using AlignStream.Alignment.JsonLines;
using AlignStream.Alignment.Rewards;
using AlignStream.Alignment.Selection;

namespace AlignStream.Alignment.Tests;

/// <summary>The JSON-lines engines behind `align select`, `align reward` and `align bandit replay`.</summary>
public sealed class JsonLinesTests
{
    private static (JsonLinesReport Report, JsonObject[] Out, string[] Err) Select(string selector, double beta, string input)
    {
        var sel = PairSelectorFactory.Create(new SelectorOptions { Selector = selector, Beta = beta });
        using var output = new StringWriter();
        using var error = new StringWriter();
        var report = SelectJsonLines.Run(sel, new StringReader(input), output, error, "in.jsonl");
        return (report, Parse(output.ToString()), Lines(error.ToString()));
    }

    [Fact]
    public void Select_writes_pairs_skips_and_line_numbered_errors()
    {
        const string input = """
            {"prompt_id": "p1", "rewards": [0.80, 0.95, 0.60, 0.90], "similarity": [[1,0.6,0.7,0.8],[0.6,1,0.3,0.5],[0.7,0.3,1,0.6],[0.8,0.5,0.6,1]]}
            {"prompt_id": 7, "rewards": [0.5]}

            {"prompt_id": "bad", "rewards": [0.5, "NaN"], "similarity": [[1,0],[0,1]]}
            not json
            {"rewards": [1, 2]}
            {"prompt_id": "p3", "rewards": [1, 2, 3], "similarity": [[1,0,0],[0,1,0],[0,0,1]]}
            """;
        var (report, output, errors) = Select("rbon-wd", 0.5, input);
        Assert.Equal(6, report.Processed);
        Assert.Equal(3, report.Failed);
        Assert.Equal(1, report.ExitCode);
        Assert.Equal(3, output.Length);
        Assert.Equal("p1", (string?)output[0]["prompt_id"]);
        Assert.Equal(3, (int?)output[0]["chosen"]);
        Assert.Equal(2, (int?)output[0]["rejected"]);
        Assert.Equal(0.30, (double)output[0]["margin"]!, 1e-9);
        Assert.Equal(7, (int?)output[1]["prompt_id"]);
        Assert.Equal("only one candidate", (string?)output[1]["skipped"]);
        Assert.Equal((2, 0), ((int)output[2]["chosen"]!, (int)output[2]["rejected"]!));
        Assert.StartsWith("in.jsonl:4: reward of candidate 1 is NaN", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("in.jsonl:5:", errors[1], StringComparison.Ordinal);
        Assert.Equal("in.jsonl:6: missing \"prompt_id\"", errors[2]);
    }

    [Fact]
    public void Next_k_writes_one_line_per_pair()
    {
        var (report, output, _) = Select("next-k", 0, """{"prompt_id": "x", "rewards": [0.1, 0.9, 0.5, 0.9]}""");
        Assert.Equal(0, report.ExitCode);
        // Ranking 1, 3, 2, 0: the tie between candidates 1 and 3 (margin 0) is dropped.
        Assert.Equal([(1, 2), (1, 0)], output.Select(o => ((int)o["chosen"]!, (int)o["rejected"]!)));
    }

    [Fact]
    public async Task Reward_echoes_fields_and_adds_score()
    {
        const string input = """
            {"prompt": "37+45=", "text": "82", "id": 1}
            {"prompt": "12*7=", "text": "85"}
            {"prompt": "x"}
            """;
        using var output = new StringWriter();
        using var error = new StringWriter();
        var report = await RewardJsonLines.RunAsync(new ArithmeticRewardModel(), new StringReader(input), output, error, "r.jsonl", batchSize: 1);
        var lines = Parse(output.ToString());
        Assert.Equal(1, report.Failed);
        Assert.Equal(2, lines.Length);
        Assert.Equal(1f, (float)lines[0]["score"]!);
        Assert.Equal(1, (int)lines[0]["id"]!);
        Assert.Equal("37+45=", (string?)lines[0]["prompt"]);
        Assert.Equal(0f, (float)lines[1]["score"]!);
        Assert.Equal("arith@1", (string?)lines[1]["rm"]);
        Assert.StartsWith("r.jsonl:3: missing \"text\"", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reward_stops_on_a_non_finite_score_naming_the_model_and_item()
    {
        using var output = new StringWriter();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => RewardJsonLines.RunAsync(
            new NanModel(), new StringReader("{\"text\": \"a\"}\n{\"text\": \"b\"}"), output, TextWriter.Null, "r.jsonl"));
        Assert.Contains("nan@0 scored item 1 as NaN", e.Message, StringComparison.Ordinal);
        Assert.Empty(output.ToString());
    }

    [Fact]
    public void Bandit_replay_reproduces_appendix_A6_and_delayed_feedback()
    {
        const string input = """
            {"context": [1, 0]}
            {"arm": 0, "context": [1, 0], "loss": 0.7}
            {"context": [1, 0]}
            {"arm": 1, "context": [1, 0], "loss": 0.5}
            {"context": [0.6, 0.8], "batch_id": "b3"}
            {"batch_id": "b3", "loss": 0.6}
            {"batch_id": "b3", "loss": 0.6}
            {"arm": 1.5, "context": [1, 0], "loss": 0.1}
            """;
        var lines = input.Split('\n');
        Assert.Equal(2, BanditReplayJsonLines.ArmsIn(lines));
        Assert.Equal(2, BanditReplayJsonLines.DimensionIn(lines));
        var bandit = new LinUcbBandit(new LinUcbOptions { Arms = 2, Dimension = 2 });
        using var output = new StringWriter();
        using var error = new StringWriter();
        var report = BanditReplayJsonLines.Run(bandit, new StringReader(input), output, error, "e.jsonl");
        var events = Parse(output.ToString());
        Assert.Equal(2, report.Failed);
        var selects = events.Where(e => (string?)e["event"] == "select").ToArray();
        Assert.Equal([0, 1, 1], selects.Select(e => (int)e["arm"]!));
        Assert.Equal(-0.279289, (double)selects[1]["ucb"]![0]!, 1e-6);
        Assert.Equal(0.390554, (double)selects[2]["ucb"]![1]!, 1e-6);
        var updates = events.Where(e => (string?)e["event"] == "update").ToArray();
        Assert.Equal([-0.7, 1.0, 0.5], updates.Select(e => Math.Round((double)e["normalized_reward"]!, 9)));
        var errors = Lines(error.ToString());
        Assert.Contains("batch 'b3'", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("e.jsonl:8: \"arm\" must be a non-negative integer", errors[1], StringComparison.Ordinal);
    }

    private static JsonObject[] Parse(string text) => Lines(text).Select(l => (JsonObject)JsonNode.Parse(l)!).ToArray();

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private sealed class NanModel : IRewardModel
    {
        public string Name => "nan";

        public string Version => "0";

        public Task<float[]> ScoreAsync(IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken) =>
            Task.FromResult(batch.Select((_, i) => i == 1 ? float.NaN : 0f).ToArray());
    }
}
