using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AlignStream.Scorer.Scoring;

/// <summary>Deterministic ids of what the scorer emits, so a redelivered candidate set yields the same ids downstream.</summary>
public static class ScorerIds
{
    private const char Separator = '\u001f';

    /// <summary>
    /// "pp-" and 32 hex digits of SHA-256 over the candidate set's record id, the prompt id, the policy versions at
    /// start and end, and the chosen and rejected candidate indexes (ARCHITECTURE.md: pair_id from prompt id,
    /// versions and indexes; the record id separates two generator runs on the same prompt and version).
    /// </summary>
    public static string PairId(string recordId, string promptId, long policyVersionStart, long policyVersionEnd, int chosen, int rejected) =>
        "pp-" + Hash(string.Join(Separator, recordId, promptId,
            policyVersionStart.ToString(CultureInfo.InvariantCulture), policyVersionEnd.ToString(CultureInfo.InvariantCulture),
            chosen.ToString(CultureInfo.InvariantCulture), rejected.ToString(CultureInfo.InvariantCulture)))[..32];

    /// <summary>"b-" and 24 hex digits of SHA-256 over the group's experiment, task and sorted record ids.</summary>
    public static string BatchId(string experiment, string task, IEnumerable<string> recordIds)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        var sorted = recordIds.Order(StringComparer.Ordinal);
        return "b-" + Hash(string.Join(Separator, [experiment, task, .. sorted]))[..24];
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
