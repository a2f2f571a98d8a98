namespace AlignStream.Engine.Tests.Golden;

/// <summary>Finds committed test data relative to the repository root (the folder holding AlignStream.slnx).</summary>
internal static class RepoPaths
{
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AlignStream.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException($"no AlignStream.slnx above {AppContext.BaseDirectory}");
    }

    public static string GoldenData => Path.Combine(Root(), "tests", "AlignStream.Engine.Tests", "Golden", "data");
}
