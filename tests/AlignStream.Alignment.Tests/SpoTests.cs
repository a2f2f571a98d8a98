using AlignStream.Alignment.Losses;

namespace AlignStream.Alignment.Tests;

public sealed class SpoTests
{
    private const string Prompt = "What is the capital of France?";
    private const string Response = "Paris is the capital. It has the Louvre. Thanks!";

    // A stand-in tokenizer: one id per character, so re-tokenisation is observable.
    private static int[] CharTokens(string s) => s.Select(c => (int)c).ToArray();

    [Fact]
    public void Cross_entropy_and_total_match_appendix_A7()
    {
        double[] z = [2.0, 0.5, -1.0];
        var ce0 = SpoDegreeHead.CrossEntropy(z, 0);
        var ce2 = SpoDegreeHead.CrossEntropy(z, 2);
        Assert.Equal(0.241311, ce0, TestSupport.VectorTolerance);
        Assert.Equal(3.241311, ce2, TestSupport.VectorTolerance);
        var objective = new SpoObjective(new SpoOptions { Lambda = 0.1 });
        var dpo = new DpoLoss(new DpoOptions()).Compute(-12, -13, -15, -14).Loss;
        Assert.Equal(0.772270, objective.Total(dpo, (ce0 + ce2) / 2), TestSupport.VectorTolerance);
    }

    [Fact]
    public void Corruption_matches_the_worked_example()
    {
        var tokenized = new List<string>();
        var corruptor = new SpoCorruptor(new SpoOptions { Classes = 3 }, s => { tokenized.Add(s); return CharTokens(s); });
        var units = corruptor.SplitUnits(Response);
        Assert.Equal(["Paris is the capital.", "It has the Louvre.", "Thanks!"], units);
        Assert.Equal([0, 1, 2], corruptor.RankUnits(Prompt, units));
        var variants = corruptor.Corrupt(Prompt, Response);
        Assert.Equal([0, 1, 2], variants.Select(v => v.Degree));
        Assert.Equal(Response, variants[0].Text);
        Assert.Equal("It has the Louvre. Thanks!", variants[1].Text);
        Assert.Equal("Thanks!", variants[2].Text);
        // Every variant was re-tokenised from its text.
        Assert.Equal(variants.Select(v => v.Text), tokenized);
        Assert.Equal(CharTokens("Thanks!"), variants[2].TokenIds);
    }

    [Fact]
    public void Short_responses_give_only_constructible_degrees_and_words_are_an_option()
    {
        var sentence = new SpoCorruptor(new SpoOptions { Classes = 4 }, CharTokens);
        // Two sentences < K−1 = 3: clause fallback gives three units.
        Assert.Equal(3, sentence.SplitUnits("Rome is old, and grand. Visit it!").Count);
        Assert.Equal(2, sentence.Corrupt("q", "Hello.").Count);

        var words = new SpoCorruptor(new SpoOptions { Classes = 3, Unit = SpoUnit.Word }, CharTokens);
        var v = words.Corrupt(Prompt, "Paris is the capital");
        // Keyness: paris 1, capital 2 (prompt overlap), is/the stopwords 0 → remove capital first, then paris.
        Assert.Equal(["Paris is the capital", "Paris is the", "is the"], v.Select(x => x.Text));
    }

    [Fact]
    public void Degree_subsampling_is_reproducible_from_the_seed()
    {
        var c = new SpoCorruptor(new SpoOptions { Classes = 3, SubsampleOneDegree = true }, CharTokens);
        var r1 = new Random(42);
        var r2 = new Random(42);
        for (var i = 0; i < 20; i++)
        {
            var x = c.Corrupt(Prompt, Response, r1);
            var y = c.Corrupt(Prompt, Response, r2);
            Assert.Equal(2, x.Count);
            Assert.Equal(0, x[0].Degree);
            Assert.InRange(x[1].Degree, 1, 2);
            Assert.Equal(x[1].Degree, y[1].Degree);
        }
        Assert.Throws<ArgumentNullException>(() => c.Corrupt(Prompt, Response));
    }

    [Fact]
    public void Degree_head_gradients_match_finite_differences()
    {
        const int k = 3, d = 5;
        var head = new SpoDegreeHead(k, d, seed: 3, initStd: 0.5);
        var rng = new Random(11);
        var hidden = new[]
        {
            Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() - 0.5) * 2).ToArray(),
            Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() - 0.5) * 2).ToArray(),
        };
        int[] labels = [0, 2];
        var dHidden = new[] { new float[d], new float[d] };
        var objective = new SpoObjective(new SpoOptions { Lambda = 0.3 });
        objective.AuxiliaryLoss(head, hidden, labels, dHidden);

        // Loss as a function of the parameters, evaluated in double from the float storage.
        double Loss()
        {
            var sum = 0.0;
            Span<double> z = stackalloc double[k];
            for (var i = 0; i < hidden.Length; i++)
            {
                head.Forward(hidden[i], z);
                sum += SpoDegreeHead.CrossEntropy(z, labels[i]);
            }
            return 0.3 * sum / hidden.Length;
        }

        double Numeric(float[] buffer, int index)
        {
            const float h = 1e-2f;
            var saved = buffer[index];
            buffer[index] = saved + h;
            var up = Loss();
            buffer[index] = saved - h;
            var down = Loss();
            buffer[index] = saved;
            return (up - down) / (2 * (double)h);
        }

        for (var i = 0; i < head.Weight.Length; i++)
        {
            Assert.Equal(Numeric(head.Weight, i), head.WeightGrad[i], 2e-4);
        }
        for (var i = 0; i < k; i++)
        {
            Assert.Equal(Numeric(head.Bias, i), head.BiasGrad[i], 2e-4);
        }
        for (var s = 0; s < hidden.Length; s++)
        {
            for (var j = 0; j < d; j++)
            {
                Assert.Equal(Numeric(hidden[s], j), dHidden[s][j], 2e-4);
            }
        }
    }

    [Fact]
    public void Options_validation_names_the_field()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SpoObjective(new SpoOptions { Classes = 1 }));
        Assert.Contains("Spo.Classes", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new SpoObjective(new SpoOptions { Lambda = -1 }));
        Assert.Contains("Spo.Lambda", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Source_specific_head_uses_2K_labels()
    {
        var shared = new SpoOptions { Classes = 3 };
        Assert.Equal(3, shared.HeadClasses);
        Assert.Equal(2, shared.Label(fromChosen: false, degree: 2));
        var split = new SpoOptions { Classes = 3, SourceSpecificClasses = true };
        Assert.Equal(6, split.HeadClasses);
        Assert.Equal(1, split.Label(fromChosen: true, degree: 1));
        Assert.Equal(4, split.Label(fromChosen: false, degree: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => split.Label(true, 3));
    }
}
