using AlignStream.Trainer.Training;

namespace AlignStream.Trainer.Tests.Training;

public sealed class PairIdWindowTests
{
    [Fact]
    public void Keeps_the_newest_ids_up_to_its_capacity()
    {
        var w = new PairIdWindow(3);
        Assert.True(w.Add("a"));
        Assert.True(w.Add("b"));
        Assert.False(w.Add("a"));
        Assert.True(w.Add("c"));
        Assert.True(w.Add("d"));
        Assert.False(w.Contains("a"));
        Assert.Equal(["b", "c", "d"], w.ToList());
    }

    [Fact]
    public void Load_round_trips_the_list_form()
    {
        var w = new PairIdWindow(2);
        w.Load(["x", "y", "z"]);
        Assert.Equal(["y", "z"], w.ToList());
        Assert.True(w.Contains("z"));
        Assert.False(w.Contains("x"));
    }
}
