using AlignStream.Engine.IO;
using AlignStream.Engine.Model;

namespace AlignStream.Engine.Tests.Inference;

/// <summary>Small random models for tests.</summary>
internal static class TinyModels
{
    public static LlamaConfig Config(bool tied = false, int kvHeads = 2) => new()
    {
        VocabSize = 40,
        HiddenSize = 32,
        IntermediateSize = 40,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = kvHeads,
        MaxPositionEmbeddings = 64,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = tied,
        BosTokenId = 1,
        EosTokenIds = [2],
    };

    public static LlamaModel Create(ulong seed = 7, bool tied = false, int threads = 1, float std = 0.3f) =>
        LlamaModel.CreateRandom(Config(tied), seed, std, threads);
}
