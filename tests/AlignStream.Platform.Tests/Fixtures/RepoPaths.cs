namespace AlignStream.Platform.Tests.Fixtures;

/// <summary>Locates the repository root (the folder holding AlignStream.slnx) from the test's base directory.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>Absolute path of the repository root.</summary>
    public static string Root => RootLazy.Value;

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "AlignStream.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException(
            $"No folder holding AlignStream.slnx above {AppContext.BaseDirectory}: run the tests from inside the repository.");
    }
}
