using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlignStream.Scorer.Laser;

/// <summary>
/// What a replica remembers about a batch's arm pull until the trainer's loss for it arrives (ALGORITHMS.md §3.6,
/// delayed feedback): stored as JSON in the state store with a TTL, so any replica can apply the feedback.
/// </summary>
/// <param name="Bandit">Bandit key (one per experiment).</param>
/// <param name="Arm">Arm index (position in Scorer:RewardModels).</param>
/// <param name="RewardModel">The arm's reward model name, for logs and checks.</param>
/// <param name="Context">The L2-normalised context the arm was chosen on.</param>
public sealed record PendingPull(
    [property: JsonPropertyName("bandit")] string Bandit,
    [property: JsonPropertyName("arm")] int Arm,
    [property: JsonPropertyName("rewardModel")] string RewardModel,
    [property: JsonPropertyName("context")] double[] Context)
{
    /// <summary>The stored JSON form.</summary>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Parses the stored form; null when it is not a pending pull.</summary>
    public static PendingPull? FromJson(string json)
    {
        try
        {
            var pull = JsonSerializer.Deserialize<PendingPull>(json);
            return pull is { Bandit.Length: > 0, Context.Length: > 0 } && pull.Arm >= 0 ? pull : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
