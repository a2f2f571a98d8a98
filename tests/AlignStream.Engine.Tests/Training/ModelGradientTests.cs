using AlignStream.Engine.Tests.Inference;
using AlignStream.Engine.Tests.Kernels;
using AlignStream.Engine.Training;

namespace AlignStream.Engine.Tests.Training;

/// <summary>
/// The whole model's backward against central finite differences of
/// L = Σ_rows r_n·logp_n + Σ hidden ⊙ R, over a padded batch with tied embeddings, so the token-weight
/// path, the hidden-state path and the tied head are all exercised.
/// </summary>
[Collection("Gemm")]
public sealed class ModelGradientTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Backward_matches_finite_differences(bool tied)
    {
        var model = TinyModels.Create(seed: 3, tied: tied, std: 0.4f);
        var c = model.Config.HiddenSize;
        var session = new TrainingSession(model, 3, 32, 16);
        int[] tokens = [1, 5, 9, 3, 17, 22, 0, 0, 1, 7, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        session.Batch.AddPadded(tokens, 3, 8, [6, 2, 8]);
        var n = session.Batch.TokenCount;
        var rng = new Random(9);
        var r = TestData.Random(rng, n);
        var hiddenWeights = TestData.Random(rng, n * c, 0.5f);
        double Loss()
        {
            session.Forward(forBackward: false);
            return TestData.Dot(session.RowLogProbs, r) + TestData.Dot(session.FinalHidden, hiddenWeights);
        }
        session.ZeroGradients();
        session.Forward(forBackward: true);
        session.Backward(r, hiddenWeights);
        var grads = (float[])session.Gradients.Data.Clone();
        var w = model.Weights.Data;
        foreach (var spec in model.Layout.Specs)
        {
            var off = model.Layout.Offset(spec.Name);
            var len = (int)spec.ElementCount;
            // Check a few coordinates of every tensor through a window onto the shared buffer.
            for (var s = 0; s < 3; s++)
            {
                var i = off + rng.Next(len);
                var orig = w[i];
                const float eps = 1e-2f;
                w[i] = orig + eps;
                var up = Loss();
                w[i] = orig - eps;
                var down = Loss();
                w[i] = orig;
                var numeric = (up - down) / (2 * eps);
                Assert.True(Math.Abs(grads[i] - numeric) <= 3e-3 + (3e-2 * Math.Abs(numeric)), $"{spec.Name}[{i - off}]: analytic {grads[i]:G6} vs numeric {numeric:G6}");
            }
        }
    }

    [Fact]
    public void Response_sums_follow_convention_1_and_hidden_helpers_read_the_right_rows()
    {
        var model = TinyModels.Create();
        var s = new TrainingSession(model, 1, 8, 8);
        s.Batch.Add([1, 5, 9], [3, 2]);
        s.Forward(false);
        var lp = new float[5];
        s.SequenceLogProbs(0, lp);
        Assert.Equal(lp[3] + (double)lp[4], s.ResponseLogProbSum(0, 3), 6);
        Assert.Equal((0.5 * lp[3]) + (2.0 * lp[4]), s.ResponseLogProbSum(0, 3, [0.5f, 2f]), 5);
        Assert.Equal(s.FinalHidden.Slice(2 * model.Config.HiddenSize, model.Config.HiddenSize).ToArray(), s.HiddenAt(0, 2).ToArray());
        var mean = new float[model.Config.HiddenSize];
        s.MeanHidden(0, 0, 5, mean);
        double expect = 0;
        for (var t = 0; t < 5; t++)
        {
            expect += s.HiddenAt(0, t)[3];
        }
        Assert.Equal(expect / 5, mean[3], 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.ResponseLogProbSum(0, 0));
    }

    [Fact]
    public void Dpo_step_reduces_the_loss_on_its_own_batch()
    {
        var model = TinyModels.Create(seed: 11, std: 0.2f);
        var session = new TrainingSession(model, 4, 64, 32);
        var pairs = new List<PreferencePairTokens>
        {
            new([1, 4, 5], [6, 7, 2], [8, 9, 9, 2], -12, -15),
            new([1, 10], [11, 2], [12, 13, 2], -9, -11, [1f, 0.5f], [1f, 1f, 0.25f]),
        };
        var opt = new AdamW(model.Layout, new AdamWOptions());
        var first = 0.0;
        var last = 0.0;
        for (var step = 0; step < 5; step++)
        {
            session.ZeroGradients();
            var res = DpoTrainer.ForwardBackward(session, pairs, new DpoOptions(0.5));
            first = step == 0 ? res.Loss : first;
            last = res.Loss;
            opt.Update(model.Weights.Data, session.Gradients.Data, 1e-2);
        }
        Assert.True(last < first, $"DPO loss went from {first} to {last}");
    }
}
