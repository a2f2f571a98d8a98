using AlignStream.Engine.Model;
using AlignStream.Engine.Training;
using AlignStream.Trainer.Tests.Support;
using AlignStream.Trainer.Training;

namespace AlignStream.Trainer.Tests.Training;

public sealed class AdamWResumeTests
{
    [Fact]
    public void Updates_match_the_engine_AdamW_bit_for_bit()
    {
        var layout = new ParameterLayout(ToyModel.Config());
        var options = new AdamWOptions(WeightDecay: 0.01);
        var engine = new AdamW(layout, options);
        var ours = new AdamW(layout.TotalSize, options);
        var a = Sequence(layout.TotalSize, 1);
        var b = (float[])a.Clone();
        for (var step = 0; step < 4; step++)
        {
            var g = Sequence(layout.TotalSize, step + 2);
            engine.Update(a, g, 1e-3 * (step + 1));
            ours.Update(b, g, 1e-3 * (step + 1));
        }
        Assert.Equal(a, b);
        Assert.Equal(engine.M, ours.M);
        Assert.Equal(engine.V, ours.V);
        Assert.Equal(engine.Step, ours.Step);
    }

    [Fact]
    public void Restored_state_continues_exactly_like_the_uninterrupted_run()
    {
        const int n = 1000;
        var options = new AdamWOptions();
        var straight = new AdamW(n, options);
        var p1 = Sequence(n, 9);
        for (var s = 0; s < 3; s++)
        {
            straight.Update(p1, Sequence(n, 20 + s), 0.01);
        }
        var p2 = (float[])p1.Clone();
        var resumed = new AdamW(n, options);
        resumed.Restore(straight.M, straight.V, straight.Step);
        straight.Update(p1, Sequence(n, 30), 0.01);
        resumed.Update(p2, Sequence(n, 30), 0.01);
        Assert.Equal(p1, p2);
        Assert.Equal(4, resumed.Step);
    }

    [Fact]
    public void Restore_rejects_moments_of_another_size()
    {
        var adam = new AdamW(10, new AdamWOptions());
        Assert.Throws<InvalidDataException>(() => adam.Restore(new float[9], new float[9], 1));
    }

    private static float[] Sequence(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2) - 1)).ToArray();
    }
}
