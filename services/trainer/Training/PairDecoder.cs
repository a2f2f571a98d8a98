using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;

namespace AlignStream.Trainer.Training;

/// <summary>
/// Turns a <see cref="PreferencePair"/> into a <see cref="TrainingPair"/>, rejecting what can never be trained
/// with a <see cref="PermanentRecordException"/> whose message becomes the dead-letter reason.
/// </summary>
public sealed class PairDecoder(int vocabSize, int maxSequenceLength, bool useTokenWeights)
{
    /// <summary>Validates and converts; throws <see cref="PermanentRecordException"/> naming the problem.</summary>
    public TrainingPair Decode(PreferencePair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (string.IsNullOrEmpty(pair.PairId))
        {
            throw new PermanentRecordException("pair_id is empty: the scorer must set a deterministic pair id");
        }
        var prompt = pair.PromptTokens.ToArray();
        var chosen = pair.ChosenTokens.ToArray();
        var rejected = pair.RejectedTokens.ToArray();
        if (prompt.Length == 0)
        {
            throw new PermanentRecordException($"pair {pair.PairId}: prompt_tokens is empty (the first token is never scored; prepend BOS)");
        }
        if (chosen.Length == 0 || rejected.Length == 0)
        {
            throw new PermanentRecordException($"pair {pair.PairId}: chosen ({chosen.Length}) and rejected ({rejected.Length}) responses must both have tokens");
        }
        var longest = prompt.Length + Math.Max(chosen.Length, rejected.Length);
        if (longest > maxSequenceLength)
        {
            throw new PermanentRecordException($"pair {pair.PairId}: prompt+response is {longest} tokens, over the trainer's limit of {maxSequenceLength} (Trainer:MaxSequenceLength / max_position_embeddings)");
        }
        CheckTokens(pair.PairId, "prompt_tokens", prompt);
        CheckTokens(pair.PairId, "chosen_tokens", chosen);
        CheckTokens(pair.PairId, "rejected_tokens", rejected);
        if (!float.IsFinite(pair.ChosenReferenceLogprobSum) || !float.IsFinite(pair.RejectedReferenceLogprobSum))
        {
            throw new PermanentRecordException($"pair {pair.PairId}: reference log-prob sums must be finite (got {pair.ChosenReferenceLogprobSum}, {pair.RejectedReferenceLogprobSum})");
        }
        float[]? cw = null, rw = null;
        if (useTokenWeights && (pair.ChosenTokenWeights.Count > 0 || pair.RejectedTokenWeights.Count > 0))
        {
            cw = Weights(pair.PairId, "chosen_token_weights", pair.ChosenTokenWeights, chosen.Length);
            rw = Weights(pair.PairId, "rejected_token_weights", pair.RejectedTokenWeights, rejected.Length);
        }
        var embedding = pair.PromptEmbedding.ToArray();
        if (embedding.Any(v => !float.IsFinite(v)))
        {
            throw new PermanentRecordException($"pair {pair.PairId}: prompt_embedding holds a non-finite value");
        }
        return new TrainingPair(pair.PairId, prompt, chosen, rejected, pair.ChosenReferenceLogprobSum, pair.RejectedReferenceLogprobSum,
            cw, rw, pair.BehaviorPolicyVersion, pair.RewardModel ?? "", pair.BatchId ?? "", embedding, pair.Prompt?.Text ?? "");
    }

    private void CheckTokens(string id, string field, int[] tokens)
    {
        foreach (var t in tokens)
        {
            if ((uint)t >= (uint)vocabSize)
            {
                throw new PermanentRecordException($"pair {id}: {field} holds token {t}, outside the model's vocabulary 0..{vocabSize - 1}");
            }
        }
    }

    private static float[] Weights(string id, string field, IReadOnlyList<float> weights, int length)
    {
        if (weights.Count != length)
        {
            throw new PermanentRecordException($"pair {id}: {field} has {weights.Count} values for a response of {length} tokens (one weight per token, or none on both sides)");
        }
        var w = weights.ToArray();
        if (w.Any(v => !float.IsFinite(v) || v < 0))
        {
            throw new PermanentRecordException($"pair {id}: {field} must be finite and non-negative");
        }
        return w;
    }
}
