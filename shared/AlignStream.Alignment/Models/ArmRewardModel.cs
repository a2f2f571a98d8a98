using AlignStream.Alignment.Decoding;
using AlignStream.Alignment.Rewards;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;

namespace AlignStream.Alignment.Models;

/// <summary>
/// The autoregressive low-rank reward model (ALGORITHMS.md §4.2, reward model <c>arm</c>): an engine
/// backbone whose final hidden state h(y_&lt;t) feeds <see cref="LowRankRewardHead"/>,
/// r(y_&lt;t, v) = e_vᵀW·h + w₀ᵀh, with e_v the backbone's frozen output-embedding row. One backbone
/// step gives the reward of every next token. As a sequence-level model it scores a text by the
/// reward of its last token given the rest. Saved like the backbone plus <c>arm.projection</c> [d, d]
/// and (optionally) <c>arm.baseline</c> [d].
/// </summary>
public sealed class ArmRewardModel : IRewardModel
{
    /// <summary>Registry name.</summary>
    public const string ModelName = "arm";

    /// <summary>Tensor name of W [d, d].</summary>
    public const string ProjectionTensor = "arm.projection";

    /// <summary>Tensor name of w₀ [d].</summary>
    public const string BaselineTensor = "arm.baseline";

    private readonly Lock _gate = new();

    /// <summary>Wraps a backbone and head parameters; E is copied from the backbone's output head and kept frozen.</summary>
    public ArmRewardModel(LlamaModel backbone, ITokenizer tokenizer, float[] projection, float[]? baseline)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.VocabSize > backbone.Config.VocabSize)
        {
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} ids but the backbone's vocab_size is {backbone.Config.VocabSize}.", nameof(tokenizer));
        }
        var cfg = backbone.Config;
        var embeddings = backbone.Weights.Data.AsSpan(backbone.Layout.LmHead, cfg.VocabSize * cfg.HiddenSize).ToArray();
        Backbone = backbone;
        Tokenizer = tokenizer;
        Head = new LowRankRewardHead(projection, baseline, embeddings, cfg.HiddenSize);
        TokenPart = new LowRankRewardHead(projection, null, embeddings, cfg.HiddenSize);
    }

    /// <summary>The backbone.</summary>
    public LlamaModel Backbone { get; }

    /// <summary>Tokenizer; must be the policy's (the head indexes E by the policy's token ids).</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The head with its baseline.</summary>
    public LowRankRewardHead Head { get; }

    /// <summary>The same W without the baseline: the token-dependent part e_vᵀW·h (the baseline-prior regulariser's target).</summary>
    internal LowRankRewardHead TokenPart { get; }

    /// <inheritdoc />
    public string Name => ModelName;

    /// <inheritdoc />
    public string Version => "1+" + Backbone.Weights.Version;

    /// <summary>A fresh head: W Gaussian with std <paramref name="initStd"/> from the seed, w₀ zero (or absent).</summary>
    public static ArmRewardModel Create(LlamaModel backbone, ITokenizer tokenizer, ulong seed, double initStd = 0.02, bool withBaseline = true)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var d = backbone.Config.HiddenSize;
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var w = new float[d * d];
        for (var i = 0; i < w.Length; i++)
        {
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            w[i] = (float)(initStd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return new ArmRewardModel(backbone, tokenizer, w, withBaseline ? new float[d] : null);
    }

    /// <summary>Loads a folder written by <see cref="Save"/>.</summary>
    public static ArmRewardModel Load(string directory, int threads = 1)
    {
        var (backbone, tokenizer, file) = HeadedCheckpoint.Load(directory, threads);
        using (file)
        {
            var d = backbone.Config.HiddenSize;
            var w = HeadedCheckpoint.ReadHead(file, directory, ProjectionTensor, [d, d]);
            var b = file.Contains(BaselineTensor) ? HeadedCheckpoint.ReadHead(file, directory, BaselineTensor, [d]) : null;
            return new ArmRewardModel(backbone, tokenizer, w, b);
        }
    }

    /// <summary>Writes config.json and model.safetensors (backbone + arm.projection [+ arm.baseline]).</summary>
    public void Save(string directory)
    {
        var d = Backbone.Config.HiddenSize;
        var heads = new List<TensorToWrite> { new(ProjectionTensor, [d, d], Head.Projection) };
        if (Head.Baseline is not null)
        {
            heads.Add(new TensorToWrite(BaselineTensor, [d], Head.Baseline));
        }
        HeadedCheckpoint.Save(directory, Backbone, Tokenizer, heads,
            new Dictionary<string, string>(StringComparer.Ordinal) { ["alignstream.head"] = ModelName });
    }

    /// <summary>
    /// The reward matrix as an output head: row v is Wᵀe_v + w₀, so that head·h = r(·, v) for every v.
    /// [V, d], row-major. Costs V·d² once (per weights version), not per token.
    /// </summary>
    public float[] RewardMatrix()
    {
        var d = Head.HiddenSize;
        var v = Head.VocabularySize;
        var m = new float[v * d];
        var w = Head.Projection;
        for (var t = 0; t < v; t++)
        {
            var e = Head.Embeddings.AsSpan(t * d, d);
            var row = m.AsSpan(t * d, d);
            if (Head.Baseline is not null)
            {
                Head.Baseline.CopyTo(row);
            }
            for (var i = 0; i < d; i++)
            {
                // row += e_i · W[i, :]
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w.AsSpan(i * d, d), e[i], row, row);
            }
        }
        return m;
    }

    /// <summary>
    /// A copy of the backbone whose output head is <see cref="RewardMatrix"/> (untied from the input
    /// embeddings), so one engine decode step returns the rewards of all next tokens instead of logits.
    /// </summary>
    public LlamaModel CreateDecodingModel()
    {
        var cfg = Backbone.Config with { TieWordEmbeddings = false };
        var layout = new ParameterLayout(cfg);
        var weights = new ParameterSet(layout, "arm-" + Backbone.Weights.Version);
        var source = Backbone.Layout;
        foreach (var spec in layout.Specs)
        {
            if (spec.Name == "lm_head.weight")
            {
                continue;
            }
            source.View(Backbone.Weights.Data, spec.Name).CopyTo(layout.View(weights.Data, spec.Name));
        }
        RewardMatrix().CopyTo(layout.View(weights.Data, "lm_head.weight"));
        return new LlamaModel(cfg, weights, Backbone.Threads);
    }

    /// <summary>The token sequence scored for one input.</summary>
    public ResponseTokens Encode(RewardInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return ResponseTokens.Encode(Tokenizer, input.Prompt, input.Response, Backbone.Config.MaxPositionEmbeddings);
    }

    /// <summary>Teacher-forced rewards r(y_&lt;t, y_t) for t = 1..L−1 of one token sequence ([L−1]).</summary>
    public double[] TokenRewards(int[] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Length < 2)
        {
            return [];
        }
        lock (_gate)
        {
            var session = new TrainingSession(Backbone, 1, tokens.Length, tokens.Length);
            session.Batch.Add(tokens);
            session.Forward(forBackward: false);
            var r = new double[tokens.Length - 1];
            Span<float> one = stackalloc float[1];
            for (var t = 1; t < tokens.Length; t++)
            {
                Head.Score(session.HiddenAt(0, t - 1), [tokens[t]], one);
                r[t - 1] = one[0];
            }
            return r;
        }
    }

    /// <summary>
    /// Sequence scores in one packed forward: the reward of each text's last token given its prefix
    /// (for an empty response that is the prompt's last token; 0 when the sequence is a single token).
    /// </summary>
    public double[] Score(IReadOnlyList<RewardInput> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return [];
        }
        var encoded = batch.Select(i => Encode(i).Tokens).ToArray();
        lock (_gate)
        {
            var session = new TrainingSession(Backbone, encoded.Length, encoded.Sum(e => e.Length), encoded.Max(e => e.Length));
            foreach (var e in encoded)
            {
                session.Batch.Add(e);
            }
            session.Forward(forBackward: false);
            var scores = new double[encoded.Length];
            Span<float> one = stackalloc float[1];
            for (var i = 0; i < encoded.Length; i++)
            {
                var tokens = encoded[i];
                if (tokens.Length < 2)
                {
                    continue;
                }
                Head.Score(session.HiddenAt(i, tokens.Length - 2), [tokens[^1]], one);
                scores[i] = one[0];
            }
            return scores;
        }
    }

    /// <inheritdoc />
    public Task<float[]> ScoreAsync(IReadOnlyList<RewardInput> batch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Score(batch).Select(s => (float)s).ToArray());
    }
}
