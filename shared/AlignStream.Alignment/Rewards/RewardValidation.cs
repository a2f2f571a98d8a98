using System.Globalization;

namespace AlignStream.Alignment.Rewards;

/// <summary>Checks a reward model's output before anything ranks on it: right count, every score finite.</summary>
public static class RewardValidation
{
    /// <summary>Throws <see cref="InvalidOperationException"/> naming the model, the item index and the value.</summary>
    public static float[] EnsureValid(IRewardModel model, IReadOnlyList<RewardInput> batch, float[] scores)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Length != batch.Count)
        {
            throw new InvalidOperationException($"reward model {model.Name}@{model.Version} returned {scores.Length} scores for a batch of {batch.Count}.");
        }
        for (var i = 0; i < scores.Length; i++)
        {
            if (!float.IsFinite(scores[i]))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"reward model {model.Name}@{model.Version} scored item {i} as {scores[i]}; non-finite rewards cannot be ranked. Drop the item or fix the model."));
            }
        }
        return scores;
    }

    /// <summary>Scores a batch and validates the result.</summary>
    public static async Task<float[]> ScoreValidatedAsync(this IRewardModel model, IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        var scores = await model.ScoreAsync(batch, cancellationToken).ConfigureAwait(false);
        return EnsureValid(model, batch, scores);
    }
}
