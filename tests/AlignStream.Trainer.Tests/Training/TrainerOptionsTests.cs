using AlignStream.Trainer.Options;

namespace AlignStream.Trainer.Tests.Training;

public sealed class TrainerOptionsTests
{
    [Theory]
    [InlineData("importance-weight", StalePolicy.ImportanceWeight)]
    [InlineData("ImportanceWeight", StalePolicy.ImportanceWeight)]
    [InlineData("DROP", StalePolicy.Drop)]
    public void Stale_policy_accepts_the_documented_spellings(string text, StalePolicy expected)
    {
        Assert.Equal(expected, new TrainerOptions { StalePolicy = text }.ParsedStalePolicy);
        Assert.Empty(new TrainerOptions { StalePolicy = text, CheckpointDirectory = "x" }.Validate());
    }

    [Theory]
    [InlineData("per-window", ReferenceRefresh.PerWindow)]
    [InlineData("soft-sync", ReferenceRefresh.SoftSync)]
    [InlineData("fixed", ReferenceRefresh.Fixed)]
    public void Reference_refresh_accepts_the_documented_spellings(string text, ReferenceRefresh expected) =>
        Assert.Equal(expected, new TrainerOptions { ReferenceRefresh = text }.ParsedReferenceRefresh);

    [Fact]
    public void Every_bad_field_is_named()
    {
        var o = new TrainerOptions
        {
            StalePolicy = "sometimes",
            ReferenceRefresh = "2",
            LrDecay = "cosine",
            TotalSteps = 0,
            Beta = 0,
            LabelSmoothing = 0.5,
            SoftSyncAlpha = 0,
            ClipNorm = -1,
        };
        var members = o.Validate().Select(e => e.Member).ToHashSet();
        Assert.Equal(
            new HashSet<string> { "StalePolicy", "ReferenceRefresh", "TotalSteps", "Beta", "LabelSmoothing", "SoftSyncAlpha", "ClipNorm" },
            members);
    }
}
