namespace AlignStream.Alignment.Selection;

/// <summary>
/// Embeds response texts for RBoN-WD similarities. The default implementation (added with the engine)
/// mean-pools the policy's final hidden states over response tokens and L2-normalises them
/// (<see cref="CosineSimilarity.MeanPoolNormalized"/>); embed the response only, never the prompt.
/// </summary>
public interface ISentenceEmbedder
{
    /// <summary>Name and version recorded with the similarities.</summary>
    string Name { get; }

    /// <summary>One vector per text, all of the same width; an empty text gives the zero vector.</summary>
    ValueTask<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken);
}
