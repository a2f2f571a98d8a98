using System.Text.Json;
using AlignStream.Alignment.Models;
using AlignStream.Alignment.Rewards;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.EndToEnd.Tests;

/// <summary>The model-backed algorithm verbs of the `align` tool, run as a user runs them.</summary>
public sealed class AlgorithmCliTests : IDisposable
{
    private readonly TempFolder _temp = new("e2e-algo");
    private readonly string _model;

    public AlgorithmCliTests()
    {
        _model = TinyModel.Save(Path.Combine(_temp.Path, "model"), seed: 9, std: 0.2f);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Segment_tiles_the_response_into_segments_with_one_entropy_per_token()
    {
        var (code, output) = ServerProcess.RunToEnd("dotnet",
            [AlignProcess.AlignDll, "segment", "--model", _model, "--prompt", "Q: ", "--text", "one two three four", "--tau", "1.0", "--json"], TimeSpan.FromSeconds(120));
        Assert.True(code == 0, output);
        var root = JsonDocument.Parse(output.Split('\n').Last(l => l.StartsWith('{'))).RootElement;
        var tokens = root.GetProperty("tokens").GetArrayLength();
        Assert.Equal(tokens, root.GetProperty("entropies").GetArrayLength());
        Assert.All(root.GetProperty("entropies").EnumerateArray(), e => Assert.InRange(e.GetDouble(), 0, Math.Log(ByteTokenizer.VocabSizeConstant) + 1e-3));

        // Segments are inclusive [start, end] ranges, contiguous and covering the response; the appended EOS belongs to none.
        var segments = root.GetProperty("segments").EnumerateArray().Select(s => (Start: s.GetProperty("start").GetInt32(), End: s.GetProperty("end").GetInt32())).ToList();
        Assert.NotEmpty(segments);
        Assert.True(segments[0].Start == 0, output);
        for (var i = 1; i < segments.Count; i++)
        {
            Assert.True(segments[i].Start == segments[i - 1].End + 1, $"segment {i} is not contiguous: {segments[i - 1]} then {segments[i]}");
        }
        Assert.Equal("one two three four".Length + 1, tokens);
        Assert.Equal(tokens - 2, segments[^1].End);
    }

    [Fact]
    public void Reward_scores_with_a_saved_learned_reward_model_exactly_as_the_library_does()
    {
        var rmDir = Path.Combine(_temp.Path, "learned");
        var rm = LearnedRewardModel.Create(LlamaModel.Load(_model), ByteTokenizer.Instance, seed: 3, initStd: 0.5);
        rm.Save(rmDir);
        var input = Path.Combine(_temp.Path, "in.jsonl");
        File.WriteAllLines(input,
        [
            JsonSerializer.Serialize(new { prompt = "Say:", text = " good" }),
            JsonSerializer.Serialize(new { prompt = "Say:", text = " terrible day" }),
        ]);
        var (code, output) = ServerProcess.RunToEnd("dotnet",
            [AlignProcess.AlignDll, "reward", "--rm", "learned", "--learned-path", rmDir, "--input", input], TimeSpan.FromSeconds(120));
        Assert.True(code == 0, output);
        var scores = output.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("score").GetDouble()).ToArray();

        var expected = LearnedRewardModel.Load(rmDir).Score([new RewardInput("Say:", " good", ""), new RewardInput("Say:", " terrible day", "")]);
        Assert.Equal(2, scores.Length);
        Assert.Equal(expected[0], scores[0], 4);
        Assert.Equal(expected[1], scores[1], 4);
        Assert.NotEqual(scores[0], scores[1]);
    }
}
