using FsCheck;
using Microsoft.FSharp.Core;

namespace AlignStream.Alignment.Tests;

/// <summary>Shared test helpers: repository-relative data, fixed-seed property checks, finite differences.</summary>
internal static class TestSupport
{
    /// <summary>Tolerance for Appendix A vectors (ALGORITHMS.md: compare with 1e-6).</summary>
    public const double VectorTolerance = 1e-6;

    /// <summary>The repository root: the first ancestor of the test binaries that holds AlignStream.slnx.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlignStream.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("could not find AlignStream.slnx above the test binaries; run the tests from inside the repository.");
    }

    /// <summary>The set-up data cache: ALIGN_DATA when set, else .cache/data under the repository root (`./align setup` creates it).</summary>
    public static string DataRoot()
    {
        var fromEnv = Environment.GetEnvironmentVariable("ALIGN_DATA");
        var root = string.IsNullOrWhiteSpace(fromEnv) ? Path.Combine(RepoRoot(), ".cache", "data") : fromEnv;
        if (!Directory.Exists(root))
        {
            throw new InvalidOperationException($"data cache '{root}' is missing: run `./align setup` before these tests.");
        }
        return root;
    }

    /// <summary>Runs a property with a fixed seed so failures reproduce, throwing on the first counter-example.</summary>
    public static void Check(Property property, int maxTests = 200, ulong seed = 20261122)
    {
        var replay = new Replay(new Rnd(seed, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None);
        var config = Config.QuickThrowOnFailure.WithMaxTest(maxTests).WithReplay(FSharpOption<Replay>.Some(replay));
        FsCheck.Check.One(config, property);
    }

    /// <summary>Central difference (f(x+h) − f(x−h)) / 2h.</summary>
    public static double CentralDifference(Func<double, double> f, double x, double h = 1e-5) => (f(x + h) - f(x - h)) / (2 * h);
}
