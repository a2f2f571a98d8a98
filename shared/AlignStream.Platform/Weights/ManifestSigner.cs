using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AlignStream.Platform.State;

namespace AlignStream.Platform.Weights;

/// <summary>
/// HMAC-SHA256 over the canonical form of a manifest. A generator serves only weights whose manifest carries a
/// signature made with the shared key, so a file dropped into the store by anyone else is refused.
/// </summary>
public sealed class ManifestSigner
{
    private readonly byte[] _key;

    public ManifestSigner(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        _key = Encoding.UTF8.GetBytes(key);
    }

    /// <summary>The manifest with its signature field filled in.</summary>
    public WeightsManifest Sign(WeightsManifest manifest) => manifest with { Signature = Compute(manifest) };

    /// <summary>True when the signature matches the manifest's other fields (constant-time comparison).</summary>
    public bool Verify(WeightsManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (string.IsNullOrEmpty(manifest.Signature))
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Compute(manifest));
        var actual = Encoding.ASCII.GetBytes(manifest.Signature);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private string Compute(WeightsManifest m)
    {
        var canonical = string.Join('|',
            "alignstream-manifest-v1",
            m.Version.ToString(CultureInfo.InvariantCulture),
            m.ParentVersion?.ToString(CultureInfo.InvariantCulture) ?? "",
            m.Step.ToString(CultureInfo.InvariantCulture),
            m.Uri,
            m.Sha256,
            m.Bytes.ToString(CultureInfo.InvariantCulture),
            m.CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(canonical)));
    }
}
