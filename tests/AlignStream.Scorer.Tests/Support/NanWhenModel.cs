using AlignStream.Alignment.Rewards;

namespace AlignStream.Scorer.Tests.Support;

/// <summary>A reward model that misbehaves: the inner model's scores, but NaN for responses containing a marker.</summary>
public sealed class NanWhenModel(IRewardModel inner, string marker) : IRewardModel
{
    public string Name => inner.Name;

    public string Version => inner.Version + "+nan-test";

    public async Task<float[]> ScoreAsync(IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken)
    {
        var scores = await inner.ScoreAsync(batch, cancellationToken);
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].Response.Contains(marker, StringComparison.Ordinal))
            {
                scores[i] = float.NaN;
            }
        }
        return scores;
    }
}
