using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Scorer.Tests.Support;

/// <summary>A tiny random Llama over the byte tokenizer, saved as a Hugging Face folder (no tokenizer.json).</summary>
public static class TinyModel
{
    /// <summary>16 wide, 1 layer, 2 heads, byte vocabulary, context 128.</summary>
    public static LlamaConfig Config() => new()
    {
        VocabSize = ByteTokenizer.VocabSizeConstant,
        HiddenSize = 16,
        IntermediateSize = 32,
        NumHiddenLayers = 1,
        NumAttentionHeads = 2,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 128,
        BosTokenId = ByteTokenizer.BosIdConstant,
        EosTokenIds = [ByteTokenizer.EosIdConstant],
    };

    /// <summary>Creates the model with <paramref name="seed"/> (a larger std so distributions are far from uniform) and saves it.</summary>
    public static LlamaModel Save(string directory, ulong seed)
    {
        var model = LlamaModel.CreateRandom(Config(), seed, std: 0.5f);
        model.Save(directory);
        return model;
    }
}
