using System.Text.Json;
using AlignStream.Alignment.Models;
using AlignStream.Alignment.Rewards;
using AlignStream.Cli.Demo;
using AlignStream.Platform.Tests.Fixtures;
using AlignStream.Cli.Pretraining;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Pretrain.Tests.Demo;

/// <summary>`align train-rm`: pairs from the Brown training sentences labelled by AFINN, and a saved model that loads and scores.</summary>
public sealed class LearnedRewardTrainingTests : IDisposable
{
    private readonly TempFolder _temp = new("rm");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Pairs_prefer_the_continuation_afinn_scores_higher_and_hold_a_tenth_out()
    {
        var afinn = AfinnRewardModel.Load(DataFolder.Locate());
        var settings = new LearnedRewardTraining.Settings();
        var (train, heldOut) = LearnedRewardTraining.Pairs(BrownCorpus.Load().TrainSentences, afinn, settings);
        Assert.InRange(heldOut.Count, (train.Count + heldOut.Count) / 11, (train.Count + heldOut.Count) / 9);
        foreach (var p in train.Take(200).Concat(heldOut.Take(50)))
        {
            Assert.True(afinn.Score(p.Chosen) > afinn.Score(p.Rejected), $"'{p.Chosen}' is not scored above '{p.Rejected}'");
            Assert.True(p.Chosen.Length <= settings.ContinuationChars && p.Rejected.Length <= settings.ContinuationChars);
            Assert.Equal(settings.PromptWords, p.Prompt.Split(' ').Length);
        }
        var again = LearnedRewardTraining.Pairs(BrownCorpus.Load().TrainSentences, afinn, settings);
        Assert.Equal(train.Take(20), again.Train.Take(20));
    }

    [Fact]
    public void Training_writes_a_model_that_loads_scores_and_records_its_accuracy()
    {
        var tiny = LlamaConfig.PresetS() with
        {
            HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, IntermediateSize = 64, HeadDim = 16, MaxPositionEmbeddings = 128,
        };
        var baseFolder = Path.Combine(_temp.Path, "base");
        LlamaModel.CreateRandom(tiny, 3).Save(baseFolder, ByteTokenizer.Instance);
        var output = new StringWriter();
        var outFolder = Path.Combine(_temp.Path, "rm");
        var accuracy = LearnedRewardTraining.Train(baseFolder, outFolder, new LearnedRewardTraining.Settings(Steps: 3, BatchPairs: 4, Threads: 1), "test",
            new ProgressReporter(output, terminal: false, "train-rm"), CancellationToken.None);

        Assert.InRange(accuracy, 0, 1);
        Assert.Contains("train-rm: ", output.ToString(), StringComparison.Ordinal);
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(outFolder, LearnedRewardTraining.RecordFile)));
        Assert.Equal(3, record.RootElement.GetProperty("steps").GetInt32());
        Assert.Equal(accuracy, record.RootElement.GetProperty("held_out_accuracy").GetDouble());
        var model = LearnedRewardModel.Load(outFolder);
        var scores = model.Score([new RewardInput("The day was", " good and happy"), new RewardInput("The day was", " bad")]);
        Assert.Equal(2, scores.Length);
        Assert.All(scores, s => Assert.True(double.IsFinite(s)));
    }
}
