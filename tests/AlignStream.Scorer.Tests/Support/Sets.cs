using AlignStream.Contracts.Records;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Scorer.Tests.Support;

/// <summary>Candidate sets as a generator would write them, over the byte tokenizer.</summary>
public static class Sets
{
    private static readonly ByteTokenizer Tokenizer = ByteTokenizer.Instance;

    /// <summary>Prompt ids: BOS + bytes of the text.</summary>
    public static int[] PromptTokens(string text) => [ByteTokenizer.BosIdConstant, .. Tokenizer.Encode(text)];

    /// <summary>Response ids: bytes of the text + EOS.</summary>
    public static int[] ResponseTokens(string text) => [.. Tokenizer.Encode(text), ByteTokenizer.EosIdConstant];

    /// <summary>A candidate set with one candidate per response text.</summary>
    public static CandidateSet Make(string recordId, string promptId, string task, string prompt, float[] embedding, params string[] responses)
    {
        var set = new CandidateSet
        {
            SchemaVersion = 1,
            RecordId = recordId,
            Prompt = new Prompt { SchemaVersion = 1, PromptId = promptId, Task = task, Text = prompt, Experiment = "exp" },
            PolicyVersionStart = 0,
            PolicyVersionEnd = 0,
            GeneratorId = "test-generator",
            Timings = new Timings { QueueMs = 2, GenerateMs = 5 },
        };
        set.PromptTokens.AddRange(PromptTokens(prompt));
        set.PromptEmbedding.AddRange(embedding);
        for (var i = 0; i < responses.Length; i++)
        {
            var c = new Candidate
            {
                Text = responses[i],
                FinishReason = "stop",
                SamplingSeed = (ulong)i,
                PolicyVersionStart = 0,
                PolicyVersionEnd = 0,
            };
            c.Tokens.AddRange(ResponseTokens(responses[i]));
            set.Candidates.Add(c);
        }
        return set;
    }
}
