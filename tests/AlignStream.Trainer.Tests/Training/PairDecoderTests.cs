using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;
using AlignStream.Trainer.Tests.Support;
using AlignStream.Trainer.Training;

namespace AlignStream.Trainer.Tests.Training;

public sealed class PairDecoderTests
{
    private static readonly PreferencePair Good = ToyModel.Pairs(ToyModel.Create(), 1)[0];
    private readonly PairDecoder _decoder = new(260, 128, useTokenWeights: true);

    [Fact]
    public void A_valid_pair_keeps_tokens_sums_and_provenance()
    {
        var p = _decoder.Decode(Good);
        Assert.Equal(Good.PairId, p.PairId);
        Assert.Equal(Good.ChosenTokens, p.Chosen);
        Assert.Equal(Good.ChosenReferenceLogprobSum, (float)p.ReferenceChosen);
        Assert.Equal("afinn", p.RewardModel);
        Assert.Equal(1.0, p.Weight);
        Assert.False(p.HasTokenWeights);
    }

    [Theory]
    [InlineData("empty-id", "pair_id is empty")]
    [InlineData("no-prompt", "prompt_tokens is empty")]
    [InlineData("no-rejected", "must both have tokens")]
    [InlineData("vocab", "outside the model's vocabulary")]
    [InlineData("too-long", "over the trainer's limit")]
    [InlineData("nan-ref", "must be finite")]
    [InlineData("weights", "one weight per token")]
    public void Bad_pairs_are_permanent_failures_with_a_reason(string defect, string reason)
    {
        var p = Good.Clone();
        switch (defect)
        {
            case "empty-id": p.PairId = ""; break;
            case "no-prompt": p.PromptTokens.Clear(); break;
            case "no-rejected": p.RejectedTokens.Clear(); break;
            case "vocab": p.ChosenTokens.Add(260); break;
            case "too-long": p.ChosenTokens.AddRange(Enumerable.Repeat(65, 128)); break;
            case "nan-ref": p.RejectedReferenceLogprobSum = float.NaN; break;
            case "weights": p.ChosenTokenWeights.Add(1f); break;
        }
        var ex = Assert.Throws<PermanentRecordException>(() => _decoder.Decode(p));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_weights_are_ignored_when_switched_off()
    {
        var p = Good.Clone();
        p.ChosenTokenWeights.AddRange(Enumerable.Repeat(1f, p.ChosenTokens.Count));
        p.RejectedTokenWeights.AddRange(Enumerable.Repeat(1f, p.RejectedTokens.Count));
        Assert.True(_decoder.Decode(p).HasTokenWeights);
        Assert.False(new PairDecoder(260, 128, useTokenWeights: false).Decode(p).HasTokenWeights);
    }
}
