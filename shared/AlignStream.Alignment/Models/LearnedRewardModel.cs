using AlignStream.Alignment.Rewards;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;

namespace AlignStream.Alignment.Models;

/// <summary>
/// The <c>learned</c> reward model: an engine backbone plus a scalar head read on the final hidden state
/// (after the last RMSNorm) at the last response token, r = w·h + b. Trained by
/// <see cref="BradleyTerryTrainer"/>; saved as a model folder whose model.safetensors holds the backbone
/// under its Hugging Face names plus <c>score.weight</c> [1, d] and <c>score.bias</c> [1].
/// Not thread-safe for concurrent scoring: one forward at a time (the scorer calls it per batch).
/// </summary>
public sealed class LearnedRewardModel : IRewardModel
{
    /// <summary>Registry name.</summary>
    public const string ModelName = "learned";

    /// <summary>Tensor name of the head weight [1, d].</summary>
    public const string WeightTensor = "score.weight";

    /// <summary>Tensor name of the head bias [1].</summary>
    public const string BiasTensor = "score.bias";

    private readonly Lock _gate = new();

    /// <summary>Wraps a backbone and a head; <paramref name="scoreWeight"/> has the hidden width.</summary>
    public LearnedRewardModel(LlamaModel backbone, ITokenizer tokenizer, float[] scoreWeight, float scoreBias)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(scoreWeight);
        if (scoreWeight.Length != backbone.Config.HiddenSize)
        {
            throw new ArgumentException($"score.weight has {scoreWeight.Length} values; the backbone's hidden size is {backbone.Config.HiddenSize}.", nameof(scoreWeight));
        }
        if (tokenizer.VocabSize > backbone.Config.VocabSize)
        {
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} ids but the backbone's vocab_size is {backbone.Config.VocabSize}.", nameof(tokenizer));
        }
        Backbone = backbone;
        Tokenizer = tokenizer;
        ScoreWeight = scoreWeight;
        ScoreBias = [scoreBias];
    }

    /// <summary>The backbone (its weights are trained along with the head).</summary>
    public LlamaModel Backbone { get; }

    /// <summary>Tokenizer shared with the policy.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>w, [d].</summary>
    public float[] ScoreWeight { get; }

    /// <summary>b, [1].</summary>
    public float[] ScoreBias { get; }

    /// <inheritdoc />
    public string Name => ModelName;

    /// <inheritdoc />
    public string Version => "1+" + Backbone.Weights.Version;

    /// <summary>A fresh head (small Gaussian weights from <paramref name="seed"/>, zero bias) on a backbone.</summary>
    public static LearnedRewardModel Create(LlamaModel backbone, ITokenizer tokenizer, ulong seed, double initStd = 0.02)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var w = new float[backbone.Config.HiddenSize];
        for (var i = 0; i < w.Length; i++)
        {
            // Box–Muller from the seeded stream.
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            w[i] = (float)(initStd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return new LearnedRewardModel(backbone, tokenizer, w, 0f);
    }

    /// <summary>Loads a folder written by <see cref="Save"/>.</summary>
    public static LearnedRewardModel Load(string directory, int threads = 1)
    {
        var (backbone, tokenizer, file) = HeadedCheckpoint.Load(directory, threads);
        using (file)
        {
            var d = backbone.Config.HiddenSize;
            var w = HeadedCheckpoint.ReadHead(file, directory, WeightTensor, [1, d]);
            var b = HeadedCheckpoint.ReadHead(file, directory, BiasTensor, [1]);
            return new LearnedRewardModel(backbone, tokenizer, w, b[0]);
        }
    }

    /// <summary>Writes config.json and model.safetensors (backbone + score.weight + score.bias).</summary>
    public void Save(string directory)
    {
        var d = Backbone.Config.HiddenSize;
        HeadedCheckpoint.Save(directory, Backbone, Tokenizer,
            [new TensorToWrite(WeightTensor, [1, d], ScoreWeight), new TensorToWrite(BiasTensor, [1], ScoreBias)],
            new Dictionary<string, string>(StringComparer.Ordinal) { ["alignstream.head"] = ModelName });
    }

    /// <summary>The token sequence scored for one input.</summary>
    public ResponseTokens Encode(RewardInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return ResponseTokens.Encode(Tokenizer, input.Prompt, input.Response, Backbone.Config.MaxPositionEmbeddings);
    }

    /// <summary>r = w·h + b for a final hidden state h [d], in float64.</summary>
    public double Head(ReadOnlySpan<float> hidden)
    {
        var acc = (double)ScoreBias[0];
        for (var j = 0; j < ScoreWeight.Length; j++)
        {
            acc += ScoreWeight[j] * (double)hidden[j];
        }
        return acc;
    }

    /// <summary>Scores a batch in one packed forward.</summary>
    public double[] Score(IReadOnlyList<RewardInput> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return [];
        }
        var encoded = batch.Select(Encode).ToArray();
        lock (_gate)
        {
            var total = encoded.Sum(e => e.Tokens.Length);
            var longest = encoded.Max(e => e.Tokens.Length);
            var session = new TrainingSession(Backbone, encoded.Length, total, longest);
            foreach (var e in encoded)
            {
                session.Batch.Add(e.Tokens);
            }
            session.Forward(forBackward: false);
            var scores = new double[encoded.Length];
            for (var i = 0; i < encoded.Length; i++)
            {
                scores[i] = Head(session.HiddenAt(i, encoded[i].LastRow));
            }
            return scores;
        }
    }

    /// <inheritdoc />
    public Task<float[]> ScoreAsync(IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var scores = Score(batch);
        return Task.FromResult(scores.Select(s => (float)s).ToArray());
    }
}
