using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AlignStream.Generator.Handling;

/// <summary>
/// Deterministic candidate-set ids: the same prompt generated with the same seed from the same starting policy
/// version gets the same id, so a redelivered prompt's second set is dropped downstream.
/// </summary>
public static class CandidateSetIds
{
    /// <summary>"cs-" and 32 hex digits of SHA-256 over (prompt id, generator seed, policy version at start).</summary>
    public static string For(string promptId, ulong seed, long policyVersionStart)
    {
        ArgumentNullException.ThrowIfNull(promptId);
        var material = string.Join('\u001f', "candidate-set-v1", promptId,
            seed.ToString(CultureInfo.InvariantCulture), policyVersionStart.ToString(CultureInfo.InvariantCulture));
        return "cs-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(material)))[..32];
    }
}
