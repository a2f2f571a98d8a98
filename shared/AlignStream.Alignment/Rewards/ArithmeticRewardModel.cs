using System.Globalization;
using System.Text.RegularExpressions;

namespace AlignStream.Alignment.Rewards;

/// <summary>
/// Arithmetic verifier [arith]. The rule: the prompt must END with an integer problem `a OP b =`
/// (OP one of + - * × x, optional spaces, integers may be negative); the reward is 1 when the response,
/// after leading whitespace, starts with exactly the integer a OP b and that number is not continued by
/// another digit or by a decimal part ("82", "82.", "82 is it" pass; "820", "82.5", "about 82" do not),
/// and 0 otherwise, including prompts that are not such a problem and results that overflow 64 bits.
/// </summary>
public sealed partial class ArithmeticRewardModel : IRewardModel
{
    public const string ModelName = "arith";

    public string Name => ModelName;

    public string Version => "1";

    /// <summary>The expected answer for a prompt, or null when the prompt is not an `a OP b =` problem.</summary>
    public static long? ExpectedAnswer(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var m = Problem().Match(prompt);
        if (!m.Success
            || !long.TryParse(m.Groups["a"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var a)
            || !long.TryParse(m.Groups["b"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b))
        {
            return null;
        }
        try
        {
            return m.Groups["op"].Value switch
            {
                "+" => checked(a + b),
                "-" => checked(a - b),
                _ => checked(a * b),
            };
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>1 for an exact leading integer answer, else 0.</summary>
    public static double Score(string prompt, string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (ExpectedAnswer(prompt) is not { } expected)
        {
            return 0.0;
        }
        var m = LeadingInteger().Match(response);
        return m.Success && long.TryParse(m.Groups["n"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var given) && given == expected
            ? 1.0
            : 0.0;
    }

    public Task<float[]> ScoreAsync(IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var scores = new float[batch.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            scores[i] = (float)Score(batch[i].Prompt, batch[i].Response);
        }
        return Task.FromResult(scores);
    }

    [GeneratedRegex(@"(?<a>-?\d+)\s*(?<op>[+\-*×x])\s*(?<b>-?\d+)\s*=\s*$")]
    private static partial Regex Problem();

    [GeneratedRegex(@"^\s*(?<n>-?\d+)(?!\d)(?!\.\d)")]
    private static partial Regex LeadingInteger();
}
