using AlignStream.Scorer.Options;

namespace AlignStream.Scorer.Tests.Scoring;

/// <summary>Unit: every invalid scorer setting is reported with its field and the fix.</summary>
public sealed class ScorerOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(new ScorerOptions().Validate());
        Assert.Equal(["afinn", "arith"], new ScorerOptions { RewardModels = " afinn , arith " }.RewardModelNames);
    }

    [Fact]
    public void Bad_values_name_the_field()
    {
        var problems = new ScorerOptions
        {
            RewardModels = "afinn,nope,afinn",
            Selector = "best",
            Rejected = "median",
            SelectorBeta = -1,
            NextK = 0,
            SegmentNormalizer = "1,2,3",
            SegmentWeighting = true,
            Segments = false,
            BanditHistoryWindow = 1,
            MaxForwardTokens = 4,
        }.Validate().ToList();

        var members = problems.Select(p => p.Member).ToHashSet();
        Assert.Contains(problems, p => p.Member == "RewardModels" && p.Message.Contains("unknown reward model 'nope'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Member == "RewardModels" && p.Message.Contains("twice", StringComparison.Ordinal));
        Assert.Superset(new HashSet<string> { "Selector", "Rejected", "SelectorBeta", "NextK", "SegmentNormalizer", "SegmentWeighting", "BanditHistoryWindow", "MaxForwardTokens" }, members);
        Assert.Contains(problems, p => p.Member == "SegmentWeighting" && p.Message.Contains("Scorer:Segments=true", StringComparison.Ordinal));
        Assert.DoesNotContain(new ScorerOptions { RewardModels = "" }.Validate(), p => p.Member != "RewardModels");
    }
}
