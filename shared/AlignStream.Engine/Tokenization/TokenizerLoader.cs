using AlignStream.Engine.IO;

namespace AlignStream.Engine.Tokenization;

/// <summary>Chooses the tokenizer of a model folder.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// tokenizer.json (byte-level BPE) when the folder has one, else the built-in <see cref="ByteTokenizer"/>.
    /// BOS/EOS ids of a BPE tokenizer are taken from the folder's config.json when it names them.
    /// </summary>
    public static ITokenizer ForModelFolder(string directory)
    {
        var path = Path.Combine(directory, CheckpointFolder.TokenizerFileName);
        if (!File.Exists(path))
        {
            return ByteTokenizer.Instance;
        }

        int? bos = null, eos = null;
        var configPath = Path.Combine(directory, CheckpointFolder.ConfigFileName);
        if (File.Exists(configPath))
        {
            var config = LlamaConfig.Load(configPath, strict: false);
            bos = config.BosTokenId;
            eos = config.EosTokenId;
        }

        return BpeTokenizer.FromJson(path, bos, eos);
    }
}
