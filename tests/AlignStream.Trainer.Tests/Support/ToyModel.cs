using AlignStream.Contracts;
using AlignStream.Contracts.Records;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;
using AlignStream.Trainer.Training;

namespace AlignStream.Trainer.Tests.Support;

/// <summary>A tiny random byte-level Llama and preference pairs for it, with reference sums computed under it.</summary>
public static class ToyModel
{
    /// <summary>2 layers, width 32, byte vocabulary, 128 positions.</summary>
    public static LlamaConfig Config() => new()
    {
        VocabSize = ByteTokenizer.VocabSizeConstant,
        HiddenSize = 32,
        IntermediateSize = 64,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 128,
        BosTokenId = ByteTokenizer.BosIdConstant,
        EosTokenIds = [ByteTokenizer.EosIdConstant],
    };

    /// <summary>A seeded random model.</summary>
    public static LlamaModel Create(ulong seed = 7) => LlamaModel.CreateRandom(Config(), seed, std: 0.05f);

    /// <summary>Saves a seeded random model into <paramref name="directory"/> and returns it.</summary>
    public static LlamaModel SaveTo(string directory, ulong seed = 7)
    {
        var model = Create(seed);
        model.Save(directory);
        return model;
    }

    /// <summary>
    /// <paramref name="count"/> pairs "prompt i" → chosen "good answer i." / rejected "bad i!", with reference sums
    /// computed under <paramref name="reference"/> (so θ = ref gives h = 0 before training).
    /// </summary>
    public static List<PreferencePair> Pairs(LlamaModel reference, int count, string idPrefix = "pair", long behaviorVersion = 0, string batchId = "b0")
    {
        var tok = ByteTokenizer.Instance;
        var session = new TrainingSession(reference, 2, 2 * reference.Config.MaxPositionEmbeddings, reference.Config.MaxPositionEmbeddings);
        var pairs = new List<PreferencePair>();
        for (var i = 0; i < count; i++)
        {
            int[] prompt = [ByteTokenizer.BosIdConstant, .. tok.Encode($"Say something kind #{i % 7}:")];
            int[] chosen = [.. tok.Encode($" You are great, friend {i % 5}."), ByteTokenizer.EosIdConstant];
            int[] rejected = [.. tok.Encode($" Go away {i % 3}!"), ByteTokenizer.EosIdConstant];
            session.Batch.Clear();
            session.Batch.Add(prompt, chosen);
            session.Batch.Add(prompt, rejected);
            session.Forward(forBackward: false);
            var pair = new PreferencePair
            {
                SchemaVersion = RecordSchema.Version,
                PairId = $"{idPrefix}-{i:D5}",
                Prompt = new Prompt { SchemaVersion = RecordSchema.Version, PromptId = $"p-{i}", Task = "kind", Text = tok.Decode(prompt, skipSpecialTokens: true) },
                ChosenReferenceLogprobSum = (float)session.ResponseLogProbSum(0, prompt.Length),
                RejectedReferenceLogprobSum = (float)session.ResponseLogProbSum(1, prompt.Length),
                BehaviorPolicyVersion = behaviorVersion,
                RewardMargin = 1f,
                RewardModel = "afinn",
                BatchId = batchId,
            };
            pair.PromptTokens.AddRange(prompt);
            pair.ChosenTokens.AddRange(chosen);
            pair.RejectedTokens.AddRange(rejected);
            pair.PromptEmbedding.AddRange([1f, (float)i, 0f]);
            pairs.Add(pair);
        }
        return pairs;
    }

    /// <summary>The pairs decoded the way the trainer decodes them.</summary>
    public static List<TrainingPair> Decode(IEnumerable<PreferencePair> pairs, int maxSequenceLength = 128) =>
        pairs.Select(p => new PairDecoder(ByteTokenizer.VocabSizeConstant, maxSequenceLength, useTokenWeights: true).Decode(p)).ToList();
}
