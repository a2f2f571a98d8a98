using AlignStream.Scorer.Scoring;

namespace AlignStream.Scorer.Tests.Scoring;

/// <summary>Unit: pair and batch ids are deterministic, separate what must differ, and ignore record order.</summary>
public sealed class ScorerIdsTests
{
    [Fact]
    public void Pair_id_is_deterministic_and_changes_with_every_input()
    {
        var id = ScorerIds.PairId("r1", "p1", 3, 4, 0, 2);
        Assert.Equal(id, ScorerIds.PairId("r1", "p1", 3, 4, 0, 2));
        Assert.Matches("^pp-[0-9a-f]{32}$", id);
        var variants = new[]
        {
            ScorerIds.PairId("r2", "p1", 3, 4, 0, 2),
            ScorerIds.PairId("r1", "p2", 3, 4, 0, 2),
            ScorerIds.PairId("r1", "p1", 2, 4, 0, 2),
            ScorerIds.PairId("r1", "p1", 3, 5, 0, 2),
            ScorerIds.PairId("r1", "p1", 3, 4, 2, 0),
            ScorerIds.PairId("r1", "p1", 3, 4, 0, 1),
        };
        Assert.DoesNotContain(id, variants);
        Assert.Equal(variants.Length, variants.Distinct().Count());
    }

    [Fact]
    public void Batch_id_ignores_record_order_but_not_the_group()
    {
        var a = ScorerIds.BatchId("exp", "arith", ["r2", "r1"]);
        Assert.Equal(a, ScorerIds.BatchId("exp", "arith", ["r1", "r2"]));
        Assert.NotEqual(a, ScorerIds.BatchId("exp", "sentiment", ["r1", "r2"]));
        Assert.NotEqual(a, ScorerIds.BatchId("exp", "arith", ["r1"]));
        Assert.Matches("^b-[0-9a-f]{24}$", a);
    }
}
