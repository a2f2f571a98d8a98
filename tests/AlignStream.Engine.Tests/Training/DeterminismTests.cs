using AlignStream.Engine.Blas;
using AlignStream.Engine.Tests.Inference;
using AlignStream.Engine.Training;

namespace AlignStream.Engine.Tests.Training;

/// <summary>A training step is bit-identical run to run for a fixed thread count, on both GEMM backends.</summary>
[Collection("Gemm")]
public sealed class DeterminismTests
{
    [Theory]
    [InlineData(GemmBackend.Auto, 1)]
    [InlineData(GemmBackend.Auto, 2)]
    [InlineData(GemmBackend.Managed, 2)]
    public void Dpo_gradients_are_bit_identical_across_runs(GemmBackend backend, int threads)
    {
        Gemm.Configure(backend, threads);
        try
        {
            float[] Run()
            {
                var model = TinyModels.Create(seed: 21, threads: threads);
                var session = new TrainingSession(model, 4, 128, 48);
                var pairs = new List<PreferencePairTokens>
                {
                    new([1, 4, 5, 6, 7, 8, 9, 10], [.. Enumerable.Range(3, 30)], [.. Enumerable.Range(5, 25)], -40, -42),
                    new([1, 10], [11, 2], [12, 13, 2], -9, -11),
                };
                session.ZeroGradients();
                DpoTrainer.ForwardBackward(session, pairs, new DpoOptions(0.3));
                return session.Gradients.Data;
            }
            var first = Run();
            Assert.Equal(first, Run());
            Assert.Contains(first, g => g != 0f);
        }
        finally
        {
            Gemm.Configure(GemmBackend.Auto, 1);
        }
    }
}
