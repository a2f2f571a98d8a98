using AlignStream.Engine.Sampling;

namespace AlignStream.Engine.Tests.Sampling;

public class SamplerTests
{
    // Probabilities 0.5, 0.3, 0.15, 0.05 as logits (log p + an arbitrary shift).
    private static readonly float[] Quarter = [.. new[] { 0.5, 0.3, 0.15, 0.05 }.Select(p => (float)(Math.Log(p) + 1.7))];

    private static double[] Softmax(float[] logits, double temperature = 1)
    {
        var max = logits.Max();
        var e = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        var s = e.Sum();
        return [.. e.Select(x => x / s)];
    }

    private static double LogSoftmax(float[] logits, int i)
    {
        var max = logits.Max();
        return logits[i] - max - Math.Log(logits.Sum(l => Math.Exp(l - max)));
    }

    private static int[] Histogram(float[] logits, SamplingOptions o, int n, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var scratch = new float[Sampler.ScratchLength(logits.Length)];
        var counts = new int[logits.Length];
        for (var i = 0; i < n; i++)
        {
            var s = Sampler.Sample(logits, ref rng, o, scratch);
            counts[s.Token]++;
            if (i < 100)
            {
                // Behavior log-prob is always the raw temperature-1 log-softmax, whatever the options.
                Assert.Equal(LogSoftmax(logits, s.Token), s.LogProb, 1e-5);
            }
        }

        return counts;
    }

    // Pearson chi-square over the cells with positive expected probability; cells with zero expected must be empty.
    private static void AssertMatches(int[] counts, double[] expected, double critical)
    {
        var n = counts.Sum();
        double chi = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (expected[i] == 0)
            {
                Assert.True(counts[i] == 0, $"token {i} has zero probability but was drawn {counts[i]} times");
                continue;
            }

            chi += Math.Pow(counts[i] - (n * expected[i]), 2) / (n * expected[i]);
        }

        Assert.True(chi < critical, $"chi-square {chi:F2} >= {critical}; counts [{string.Join(", ", counts)}], expected [{string.Join(", ", expected.Select(p => (p * n).ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}]");
    }

    [Fact]
    public void TemperatureOneMatchesSoftmax()
    {
        float[] logits = [0.3f, -1.2f, 2.0f, 0.0f, 1.1f, -0.4f];
        // df 5: 20.52 is the 0.001 upper quantile; the seed is fixed so the outcome is deterministic.
        AssertMatches(Histogram(logits, new SamplingOptions(), 60_000, 1), Softmax(logits), 20.52);
    }

    [Fact]
    public void TemperatureScalesTheDistributionButNotTheLogProb()
    {
        float[] logits = [0.3f, -1.2f, 2.0f, 0.0f, 1.1f, -0.4f];
        AssertMatches(Histogram(logits, new SamplingOptions { Temperature = 0.5f }, 60_000, 2), Softmax(logits, 0.5), 20.52);
        AssertMatches(Histogram(logits, new SamplingOptions { Temperature = 2f }, 60_000, 3), Softmax(logits, 2), 20.52);
    }

    [Fact]
    public void GreedyTakesTheArgmax()
    {
        float[] logits = [0.3f, -1.2f, 2.0f, 0.0f, 2.0f, -0.4f];
        var rng = new Xoshiro256(1);
        var before = rng.State;
        var s = Sampler.Sample(logits, ref rng, SamplingOptions.Greedy(10), new float[Sampler.ScratchLength(6)]);
        Assert.Equal(2, s.Token); // first of the tied maxima
        Assert.Equal(LogSoftmax(logits, 2), s.LogProb, 1e-6);
        Assert.Equal(before, rng.State); // greedy consumes no randomness
    }

    [Fact]
    public void TopKExcludesExactlyTheTail()
    {
        // Renormalized top 3 of [0.5, 0.3, 0.15, 0.05]: 0.5/0.95, 0.3/0.95, 0.15/0.95, 0.
        var counts = Histogram(Quarter, new SamplingOptions { TopK = 3 }, 40_000, 4);
        AssertMatches(counts, [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0], 13.82); // df 2
    }

    [Fact]
    public void TopPKeepsTheSmallestNucleus()
    {
        // Cumulative 0.5, 0.8, 0.95, 1.0: p 0.75 keeps {0, 1}; p 0.85 keeps {0, 1, 2}.
        AssertMatches(Histogram(Quarter, new SamplingOptions { TopP = 0.75f }, 40_000, 5), [0.5 / 0.8, 0.3 / 0.8, 0, 0], 10.83);
        AssertMatches(Histogram(Quarter, new SamplingOptions { TopP = 0.85f }, 40_000, 6), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0], 13.82);
        AssertMatches(Histogram(Quarter, new SamplingOptions { TopP = 0.3f }, 1_000, 7), [1, 0, 0, 0], 1);
    }

    [Fact]
    public void TopPAppliesAfterTopKRenormalization()
    {
        // Alone, p 0.83 keeps three tokens (cumulative before token 2 is 0.8 < 0.83). After top-k 3 the
        // renormalized cumulative before token 2 is 0.8/0.95 = 0.842 >= 0.83, so only two remain.
        AssertMatches(Histogram(Quarter, new SamplingOptions { TopP = 0.83f }, 40_000, 8), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0], 13.82);
        AssertMatches(Histogram(Quarter, new SamplingOptions { TopK = 3, TopP = 0.83f }, 40_000, 9), [0.5 / 0.8, 0.3 / 0.8, 0, 0], 10.83);
    }

    [Fact]
    public void TopKOnALargeVocabularyOnlyDrawsFromTheTrueTopK()
    {
        var r = new Random(5);
        var logits = new float[5000];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)(r.NextDouble() * 4);
        }

        var top = logits.Select((l, i) => (l, i)).OrderByDescending(x => x.l).Take(40).Select(x => x.i).ToHashSet();
        var counts = Histogram(logits, new SamplingOptions { TopK = 40, Temperature = 0.7f }, 20_000, 10);
        for (var i = 0; i < logits.Length; i++)
        {
            Assert.True(top.Contains(i) || counts[i] == 0, $"token {i} outside the top 40 was drawn");
        }

        var expected = new double[logits.Length];
        var scaled = Softmax(logits, 0.7);
        var mass = top.Sum(i => scaled[i]);
        foreach (var i in top)
        {
            expected[i] = scaled[i] / mass;
        }

        AssertMatches(counts, expected, 80.08); // df 39: 0.001 upper quantile
    }

    [Fact]
    public void NucleusSelectionMatchesASortedPrefix()
    {
        var r = new Random(12);
        for (var trial = 0; trial < 300; trial++)
        {
            var n = r.Next(1, 400);
            // Distinct probabilities, some repeated blocks to exercise the equal-to-pivot band.
            var probs = Enumerable.Range(0, n).Select(i => (float)(trial % 3 == 0 ? (i % 7) + 1 : r.NextDouble() + 1e-3)).ToArray();
            var p = 0.05 + (r.NextDouble() * 0.9);
            var keys = probs.Select(x => -x).ToArray();
            var ids = Enumerable.Range(0, n).ToArray();
            var target = p * probs.Sum(x => (double)x);
            var kept = Sampler.SelectNucleus(keys, ids, target);

            // Reference: sort descending, smallest prefix whose mass reaches the target.
            var sorted = probs.OrderByDescending(x => x).ToArray();
            double cum = 0;
            var expected = 0;
            while (expected < n && cum < target)
            {
                cum += sorted[expected++];
            }

            Assert.Equal(expected, kept);
            // The kept set holds the largest probabilities (compare as multisets).
            Assert.Equal(sorted[..kept], ids[..kept].Select(i => probs[i]).OrderByDescending(x => x).ToArray());
            Assert.Equal(Enumerable.Range(0, n), ids.Order());
        }
    }

    [Fact]
    public void SameSeedSameTokens()
    {
        var r = new Random(1);
        var logits = Enumerable.Range(0, 300).Select(_ => (float)r.NextDouble() * 3).ToArray();
        var o = new SamplingOptions { Temperature = 0.9f, TopK = 50, TopP = 0.9f };
        Assert.Equal(Draw(7), Draw(7));
        Assert.NotEqual(Draw(7), Draw(8));

        int[] Draw(ulong seed)
        {
            var rng = new Xoshiro256(seed);
            var scratch = new float[Sampler.ScratchLength(logits.Length)];
            return [.. Enumerable.Range(0, 200).Select(_ => Sampler.Sample(logits, ref rng, o, scratch).Token)];
        }
    }

    [Fact]
    public void ProcessedLogitsDriveTheDrawRawLogitsTheLogProb()
    {
        float[] raw = [1f, 2f, 0.5f];
        float[] processed = [1f, float.NegativeInfinity, 0.5f]; // a processor forbade token 1
        var rng = new Xoshiro256(3);
        var scratch = new float[Sampler.ScratchLength(3)];
        for (var i = 0; i < 500; i++)
        {
            var s = Sampler.Sample(processed, raw, ref rng, new SamplingOptions(), scratch);
            Assert.NotEqual(1, s.Token);
            Assert.Equal(LogSoftmax(raw, s.Token), s.LogProb, 1e-5);
        }

        var allBanned = new float[] { float.NegativeInfinity, float.NegativeInfinity };
        Assert.Throws<ArgumentException>(() => Sampler.Sample(allBanned, ref rng, new SamplingOptions(), new float[6]));
        Assert.Throws<ArgumentException>(() => Sampler.Sample(new[] { 1f, float.NaN }, ref rng, new SamplingOptions(), new float[6]));
    }

    [Fact]
    public void SamplingAllocatesNothing()
    {
        var r = new Random(2);
        var logits = Enumerable.Range(0, 1000).Select(_ => (float)r.NextDouble()).ToArray();
        var scratch = new float[Sampler.ScratchLength(logits.Length)];
        var options = new[]
        {
            new SamplingOptions(),
            new SamplingOptions { TopK = 20 },
            new SamplingOptions { TopP = 0.5f },
            new SamplingOptions { TopK = 100, TopP = 0.9f, Temperature = 0.8f },
            SamplingOptions.Greedy(1),
        };
        var rng = new Xoshiro256(1);
        foreach (var o in options)
        {
            Sampler.Sample(logits, ref rng, o, scratch); // warm up (JIT, tiering)
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++)
        {
            Sampler.Sample(logits, ref rng, options[i % options.Length], scratch);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ScratchTooSmallIsRejected()
    {
        var rng = new Xoshiro256(1);
        var e = Assert.Throws<ArgumentException>(() => Sampler.Sample(new float[10], ref rng, new SamplingOptions(), new float[29]));
        Assert.Contains("ScratchLength", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1f, 0, 1f, 10, "Temperature")]
    [InlineData(float.NaN, 0, 1f, 10, "Temperature")]
    [InlineData(1f, -2, 1f, 10, "TopK")]
    [InlineData(1f, 0, 0f, 10, "TopP")]
    [InlineData(1f, 0, 1.5f, 10, "TopP")]
    [InlineData(1f, 0, 1f, -1, "MaxNewTokens")]
    public void OptionsValidationNamesTheField(float t, int k, float p, int max, string field)
    {
        var o = new SamplingOptions { Temperature = t, TopK = k, TopP = p, MaxNewTokens = max };
        var e = Assert.Throws<ArgumentException>(() => o.Validate());
        Assert.Contains("SamplingOptions." + field, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StopTokensAreValidatedAgainstTheVocabulary()
    {
        var o = new SamplingOptions { StopTokens = [257, 300] };
        Assert.True(o.IsStop(257));
        Assert.False(o.IsStop(256));
        Assert.Contains("300", Assert.Throws<ArgumentException>(() => o.Validate(260)).Message, StringComparison.Ordinal);
        new SamplingOptions { StopTokens = [257] }.Validate(260);
    }
}
