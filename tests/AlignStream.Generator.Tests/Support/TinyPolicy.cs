using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Generator.Policy;

namespace AlignStream.Generator.Tests.Support;

/// <summary>Tiny random Llama models over the byte vocabulary, made in the test.</summary>
internal static class TinyPolicy
{
    public static LlamaConfig Config(int maxPositions = 128) => new()
    {
        VocabSize = ByteTokenizer.VocabSizeConstant,
        HiddenSize = 32,
        IntermediateSize = 64,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = maxPositions,
        RmsNormEps = 1e-5,
        BosTokenId = ByteTokenizer.BosIdConstant,
        EosTokenIds = [ByteTokenizer.EosIdConstant],
    };

    /// <summary>A random model; std 0.3 gives peaked, seed-dependent distributions.</summary>
    public static LlamaModel Model(ulong seed, float std = 0.3f) => LlamaModel.CreateRandom(Config(), seed, std);

    /// <summary>The policy runtime over a fresh random model (version 0, byte tokenizer).</summary>
    public static PolicyRuntime Runtime(ulong seed) => new(Model(seed), ByteTokenizer.Instance);

    /// <summary>Saves a random model as a Hugging Face folder and returns the folder.</summary>
    public static string SaveFolder(string directory, ulong seed)
    {
        Model(seed).Save(directory);
        return directory;
    }

    /// <summary>BOS followed by the bytes of <paramref name="text"/>.</summary>
    public static int[] Encode(string text) => [ByteTokenizer.BosIdConstant, .. ByteTokenizer.Instance.Encode(text)];
}
