using AlignStream.Engine.IO;

namespace AlignStream.Engine.Tokenization;

/// <summary>Chooses the tokenizer of a model folder.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// tokenizer.json (byte-level BPE) when the folder has one, else the built-in <see cref="ByteTokenizer"/>.
    /// BOS/EOS ids of a BPE tokenizer are taken from the folder's config.json when it names them, and its
    /// ids must fit the config's vocab_size (a mismatch means the wrong tokenizer.json was copied in).
    /// </summary>
    public static ITokenizer ForModelFolder(string directory)
    {
        var path = Path.Combine(directory, CheckpointFolder.TokenizerFileName);
        if (!File.Exists(path))
        {
            return ByteTokenizer.Instance;
        }

        var configPath = Path.Combine(directory, CheckpointFolder.ConfigFileName);
        if (!File.Exists(configPath))
        {
            return BpeTokenizer.FromJson(path);
        }

        var config = LlamaConfig.Load(configPath, strict: false);
        var tokenizer = BpeTokenizer.FromJson(path, config.BosTokenId, config.EosTokenId);
        if (tokenizer.VocabSize > config.VocabSize)
        {
            throw new CheckpointFormatException(path, "model.vocab",
                $"uses ids up to {tokenizer.VocabSize - 1} but {configPath} has vocab_size {config.VocabSize}; the tokenizer does not belong to this model.");
        }

        return tokenizer;
    }
}
