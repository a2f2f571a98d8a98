using AlignStream.Alignment.Models;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Alignment.Tests.Models;

public sealed class EngineOptionsTests
{
    [Fact]
    public void Invalid_options_name_the_field()
    {
        Assert.Contains("BradleyTerry:LearningRate", Assert.Throws<ArgumentException>(() => new BradleyTerryOptions { LearningRate = 0 }.Validate()).Message);
        Assert.Contains("BradleyTerry:HeadLearningRate", Assert.Throws<ArgumentException>(() => new BradleyTerryOptions { HeadLearningRate = double.NaN }.Validate()).Message);
        Assert.Contains("BradleyTerry:Margin", Assert.Throws<ArgumentException>(() => new BradleyTerryOptions { Margin = double.PositiveInfinity }.Validate()).Message);
        Assert.Contains("ArmDistillation:BaselinePrior", Assert.Throws<ArgumentException>(() => new ArmDistillationOptions { BaselinePrior = -1 }.Validate()).Message);
        Assert.Contains("ArmDistillation:WeightDecay", Assert.Throws<ArgumentException>(() => new ArmDistillationOptions { WeightDecay = -0.1 }.Validate()).Message);
        Assert.Contains("RewardModels:Threads", Assert.Throws<ArgumentException>(() => new EngineRewardModelOptions { Threads = 0 }.Validate()).Message);
    }

    [Fact]
    public void A_tokenizer_larger_than_the_backbone_vocabulary_is_refused()
    {
        var small = TinyEngine.Config() with { VocabSize = 64, BosTokenId = 1, EosTokenIds = [2] };
        var model = Engine.Model.LlamaModel.CreateRandom(small, 1);
        var e = Assert.Throws<ArgumentException>(() => LearnedRewardModel.Create(model, ByteTokenizer.Instance, 1));
        Assert.Contains("vocab_size is 64", e.Message);
    }

    [Fact]
    public void Missing_model_folder_and_missing_head_are_clear_errors()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid().ToString("N"));
        Assert.Contains("model folder not found", Assert.ThrowsAny<Exception>(() => LearnedRewardModel.Load(missing)).Message);
        var dir = Path.Combine(Path.GetTempPath(), "arm-as-learned-" + Guid.NewGuid().ToString("N"));
        try
        {
            ArmRewardModel.Create(TinyEngine.Create(5), ByteTokenizer.Instance, 1).Save(dir);
            var e = Assert.ThrowsAny<Exception>(() => LearnedRewardModel.Load(dir));
            Assert.Contains("score.weight", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
