namespace AlignStream.Alignment.Rewards;

/// <summary>
/// Length/format penalty [length]: with L the response length and T the target, the length part is
/// min(1, max(0, |L − T| − tol·T) / T); the format part adds FormatPenalty for an empty response or one
/// that does not end a sentence. The score is −min(1, length part + format part), in [−1, 0]; an empty
/// (or all-whitespace) response always scores −1.
/// </summary>
public sealed class LengthRewardModel : IRewardModel
{
    public const string ModelName = "length";

    private readonly LengthRewardOptions _options;

    public LengthRewardModel(LengthRewardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
    }

    public string Name => ModelName;

    public string Version => $"1+{_options.Unit.ToString().ToLowerInvariant()}{_options.Target}";

    public double Score(string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (string.IsNullOrWhiteSpace(response))
        {
            return -1.0;
        }
        var length = _options.Unit == LengthUnit.Words
            ? response.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length
            : response.Trim().Length;
        var t = (double)_options.Target;
        var lengthPart = Math.Min(1.0, Math.Max(0.0, Math.Abs(length - t) - (_options.Tolerance * t)) / t);
        var formatPart = EndsSentence(response) ? 0.0 : _options.FormatPenalty;
        return -Math.Min(1.0, lengthPart + formatPart);
    }

    public Task<float[]> ScoreAsync(IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var scores = new float[batch.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            scores[i] = (float)Score(batch[i].Response);
        }
        return Task.FromResult(scores);
    }

    private static bool EndsSentence(string response)
    {
        var s = response.TrimEnd().TrimEnd('"', '\'', ')', ']', '”', '’');
        return s.Length > 0 && s[^1] is '.' or '!' or '?';
    }
}
