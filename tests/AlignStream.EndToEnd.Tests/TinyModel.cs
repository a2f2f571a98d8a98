using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;

namespace AlignStream.EndToEnd.Tests;

/// <summary>A tiny byte-level GQA model saved as a Hugging Face folder: real code paths, seconds instead of minutes.</summary>
public static class TinyModel
{
    public static string Save(string directory, ulong seed, float std = 0.02f)
    {
        var config = LlamaConfig.PresetS() with
        {
            HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 128, HeadDim = 16, MaxPositionEmbeddings = 128,
        };
        LlamaModel.CreateRandom(config, seed, std).Save(directory, ByteTokenizer.Instance);
        return directory;
    }
}
