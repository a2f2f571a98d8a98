using System.Text.Json;

namespace AlignStream.Platform.State;

/// <summary>The one JSON shape of a manifest in the store (camelCase, as other languages read it too).</summary>
internal static class ManifestJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Serialize(WeightsManifest manifest) => JsonSerializer.Serialize(manifest, Options);

    public static WeightsManifest Deserialize(string json) =>
        JsonSerializer.Deserialize<WeightsManifest>(json, Options)
        ?? throw new InvalidDataException("The stored manifest is JSON null.");
}
