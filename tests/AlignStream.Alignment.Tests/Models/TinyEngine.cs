using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Alignment.Tests.Models;

/// <summary>Small random byte-vocabulary models for the engine-backed tests, plus a finite-difference probe.</summary>
internal static class TinyEngine
{
    public static LlamaConfig Config(int hidden = 16, int layers = 2, bool tied = false) => new()
    {
        VocabSize = ByteTokenizer.VocabSizeConstant,
        HiddenSize = hidden,
        IntermediateSize = 2 * hidden,
        NumHiddenLayers = layers,
        NumAttentionHeads = 2,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 96,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = tied,
        BosTokenId = ByteTokenizer.BosIdConstant,
        EosTokenIds = [ByteTokenizer.EosIdConstant],
    };

    public static LlamaModel Create(ulong seed, int hidden = 16, int layers = 2, float std = 0.3f, bool tied = false) =>
        LlamaModel.CreateRandom(Config(hidden, layers, tied), seed, std);

    /// <summary>
    /// Central difference (f(p+ε) − f(p−ε)) / 2ε of a loss with respect to one float parameter, restoring it.
    /// </summary>
    public static double CentralDifference(float[] parameters, int index, double eps, Func<double> loss)
    {
        var saved = parameters[index];
        parameters[index] = (float)(saved + eps);
        var plus = loss();
        parameters[index] = (float)(saved - eps);
        var minus = loss();
        parameters[index] = saved;
        // Use the step actually representable in float32.
        var step = (double)(float)(saved + eps) - (float)(saved - eps);
        return (plus - minus) / step;
    }

    /// <summary>The indices of the <paramref name="count"/> largest-magnitude entries (their FD ratios are least noisy).</summary>
    public static int[] LargestEntries(ReadOnlySpan<float> gradient, int count)
    {
        var idx = Enumerable.Range(0, gradient.Length).ToArray();
        var g = gradient.ToArray();
        return [.. idx.OrderByDescending(i => Math.Abs(g[i])).Take(count)];
    }

    /// <summary>Asserts an analytic derivative matches a finite difference within a float32-sensible tolerance.</summary>
    public static void AssertClose(double analytic, double numeric, string what, double relative = 2e-2, double absolute = 2e-4)
    {
        var tol = absolute + (relative * Math.Max(Math.Abs(analytic), Math.Abs(numeric)));
        Assert.True(Math.Abs(analytic - numeric) <= tol, $"{what}: analytic {analytic:G6} vs finite difference {numeric:G6} (tolerance {tol:G3})");
    }
}
