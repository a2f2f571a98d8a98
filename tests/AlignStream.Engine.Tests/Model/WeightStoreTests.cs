using AlignStream.Engine.Model;
using AlignStream.Engine.Tests.Inference;

namespace AlignStream.Engine.Tests.Model;

/// <summary>Save/load round trip and the standby-buffer hot swap.</summary>
[Collection("Gemm")]
public sealed class WeightStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "align-engine-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Saved_model_loads_back_bit_for_bit()
    {
        var model = TinyModels.Create(seed: 5, tied: true);
        var path = Path.Combine(_dir, "m");
        model.Save(path);
        var loaded = LlamaModel.Load(path);
        Assert.Equal(model.Weights.Data, loaded.Weights.Data);
        Assert.True(loaded.Config.TieWordEmbeddings);
    }

    [Fact]
    public void Hot_swap_flips_to_new_weights_and_keeps_the_old_buffer_as_standby()
    {
        var live = TinyModels.Create(seed: 1);
        var next = TinyModels.Create(seed: 2);
        var path = Path.Combine(_dir, "v2");
        next.Save(path);
        var before = live.Weights;
        Assert.True(live.TrySwapFrom(path, "v2", out var reason), reason);
        Assert.Equal("v2", live.Weights.Version);
        Assert.Equal(next.Weights.Data, live.Weights.Data);
        Assert.NotSame(before, live.Weights);

        // A load that produces non-finite weights is rejected and the live weights stay.
        var ok = live.Store.LoadAndFlip(set => set.Data[3] = float.NaN, "bad", out reason);
        Assert.False(ok);
        Assert.Contains("not finite", reason, StringComparison.Ordinal);
        Assert.Equal("v2", live.Weights.Version);

        // A checkpoint of another architecture is refused.
        var other = LlamaModel.CreateRandom(TinyModels.Config(kvHeads: 4), 3);
        var otherPath = Path.Combine(_dir, "other");
        other.Save(otherPath);
        Assert.False(live.TrySwapFrom(otherPath, "v3", out reason));
        Assert.Contains("different architecture", reason, StringComparison.Ordinal);
    }
}
