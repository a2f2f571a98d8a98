namespace AlignStream.Engine.Tests.Kernels;

/// <summary>Seeded random arrays and comparison helpers shared by the kernel tests.</summary>
internal static class TestData
{
    public static float[] Random(Random rng, int n, float scale = 1f)
    {
        var a = new float[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = (float)((rng.NextDouble() * 2) - 1) * scale;
        }
        return a;
    }

    /// <summary>Largest |a−b| / (atol + rtol·|b|) over the arrays; ≤ 1 means within tolerance.</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double atol, double rtol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        var at = -1;
        for (var i = 0; i < actual.Length; i++)
        {
            var err = Math.Abs(actual[i] - (double)expected[i]) / (atol + (rtol * Math.Abs(expected[i])));
            if (double.IsNaN(err) || err > worst)
            {
                worst = double.IsNaN(err) ? double.PositiveInfinity : err;
                at = i;
            }
        }
        Assert.True(worst <= 1, $"{what}: element {at} is {(at >= 0 ? actual[at] : 0)} but expected {(at >= 0 ? expected[at] : 0)} (error ratio {worst:G3})");
    }

    /// <summary>
    /// Central finite differences of f at a sample of coordinates of x, compared with the analytic gradient.
    /// f returns a float64 scalar so the difference quotient is not swamped by rounding of the sum.
    /// </summary>
    public static void CheckGradient(Func<double> f, float[] x, float[] analytic, Random rng, string what, int samples = 24, float eps = 1e-2f, double atol = 2e-3, double rtol = 2e-2)
    {
        var count = Math.Min(samples, x.Length);
        for (var s = 0; s < count; s++)
        {
            var i = x.Length <= samples ? s : rng.Next(x.Length);
            var orig = x[i];
            x[i] = orig + eps;
            var up = f();
            x[i] = orig - eps;
            var down = f();
            x[i] = orig;
            var numeric = (up - down) / (2 * eps);
            var err = Math.Abs(analytic[i] - numeric);
            Assert.True(err <= atol + (rtol * Math.Abs(numeric)), $"{what}: d/dx[{i}] analytic {analytic[i]:G6} vs numeric {numeric:G6}");
        }
    }

    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            s += (double)a[i] * b[i];
        }
        return s;
    }
}
