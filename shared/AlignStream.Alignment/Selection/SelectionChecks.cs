using System.Globalization;

namespace AlignStream.Alignment.Selection;

/// <summary>Input validation shared by the selectors; errors name the candidate so the bad score can be traced.</summary>
internal static class SelectionChecks
{
    /// <summary>Returns a skip reason for groups too small to pair, else null.</summary>
    public static string? TooSmall(int n) => n switch
    {
        0 => "no candidates",
        1 => "only one candidate",
        _ => null,
    };

    public static void Finite(IReadOnlyList<double> values, string what)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{what} of candidate {i} is {values[i]}; every candidate needs a finite value (check the reward model's output)."));
            }
        }
    }

    public static IReadOnlyList<double> RefLogprobs(SelectionInput input, int n)
    {
        var lp = input.RefLogprobs ?? throw new ArgumentException("rbon-kl needs ref_logprobs (summed reference log-probs, one per candidate).");
        if (lp.Count != n)
        {
            throw new ArgumentException($"ref_logprobs has {lp.Count} entries for {n} candidates.");
        }
        Finite(lp, "reference log-prob");
        return lp;
    }

    public static double[] MeanSimilarity(SelectionInput input, int n, bool excludeSelf)
    {
        var s = input.Similarity ?? throw new ArgumentException("rbon-wd needs a similarity matrix (N×N cosine similarities of the responses).");
        if (s.Count != n)
        {
            throw new ArgumentException($"similarity has {s.Count} rows for {n} candidates; it must be N×N.");
        }
        var means = new double[n];
        for (var i = 0; i < n; i++)
        {
            var row = s[i];
            if (row.Count != n)
            {
                throw new ArgumentException($"similarity row {i} has {row.Count} entries for {n} candidates; it must be N×N.");
            }
            var sum = 0.0;
            for (var j = 0; j < n; j++)
            {
                if (!double.IsFinite(row[j]))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"similarity[{i}][{j}] of candidate {i} is {row[j]}; similarities must be finite."));
                }
                if (!excludeSelf || i != j)
                {
                    sum += row[j];
                }
            }
            means[i] = sum / (excludeSelf ? n - 1 : n);
        }
        return means;
    }
}
