using AlignStream.Engine.Tokenization;

namespace AlignStream.Alignment.Models;

/// <summary>
/// A prompt/response pair as one token sequence: BOS (when the tokenizer has one), prompt, response.
/// <see cref="ResponseStart"/> is the index of the first response token.
/// </summary>
/// <param name="Tokens">The whole sequence.</param>
/// <param name="ResponseStart">Index of the first response token (= length of BOS + prompt).</param>
public sealed record ResponseTokens(int[] Tokens, int ResponseStart)
{
    /// <summary>Row whose final hidden state summarises the text: the last response token, or the last prompt token when the response is empty.</summary>
    public int LastRow => Tokens.Length - 1;

    /// <summary>Encodes prompt and response separately (no splicing across the boundary) and joins them.</summary>
    public static ResponseTokens Encode(ITokenizer tokenizer, string prompt, string response, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int[] head = tokenizer.BosId is int bos ? [bos, .. tokenizer.Encode(prompt ?? "")] : tokenizer.Encode(prompt ?? "");
        var body = tokenizer.Encode(response ?? "");
        return Join(head, body, maxLength);
    }

    /// <summary>Joins prompt ids (BOS included when wanted) and response ids, refusing what the context cannot hold.</summary>
    public static ResponseTokens Join(ReadOnlySpan<int> prompt, ReadOnlySpan<int> response, int maxLength)
    {
        var total = prompt.Length + response.Length;
        if (total == 0)
        {
            throw new ArgumentException("prompt and response are both empty and the tokenizer has no BOS; there is nothing to score.");
        }
        if (total > maxLength)
        {
            throw new ArgumentException($"prompt and response are {total} tokens; the model's context is {maxLength} (max_position_embeddings). Shorten the text.");
        }
        return new ResponseTokens([.. prompt, .. response], prompt.Length);
    }
}
