using AlignStream.Engine.Model;
using AlignStream.Engine.Training;

namespace AlignStream.Scorer.Tests.Support;

/// <summary>
/// Independent reference numbers for one prompt + response: the engine's raw logits of a single-sequence forward,
/// turned into log-softmax and entropy by hand in float64 (not through the packed path the scorer uses).
/// </summary>
public static class ReferenceMath
{
    /// <summary>Per response token: log p(y_t | x, y_&lt;t), and H_t after token t; both float64.</summary>
    public static (double[] LogProbs, double[] Entropies) Compute(LlamaModel model, int[] prompt, int[] response)
    {
        var v = model.Config.VocabSize;
        var n = prompt.Length + response.Length;
        var session = new TrainingSession(model, 1, n, n);
        session.Batch.Clear();
        session.Batch.Add(prompt, response);
        var logits = new float[n * v];
        session.Forward(forBackward: false, logitsOut: logits);
        var all = prompt.Concat(response).ToArray();
        var logProbs = new double[response.Length];
        var entropies = new double[response.Length];
        for (var t = 0; t < response.Length; t++)
        {
            // Row P + t − 1 predicts response token t; row P + t is the distribution after it.
            logProbs[t] = LogSoftmax(logits.AsSpan((prompt.Length + t - 1) * v, v))[all[prompt.Length + t]];
            var lp = LogSoftmax(logits.AsSpan((prompt.Length + t) * v, v));
            entropies[t] = -lp.Sum(l => Math.Exp(l) * l);
        }
        return (logProbs, entropies);
    }

    /// <summary>The engine's own sequence log-prob (TrainingSession.ResponseLogProbSum) of a single sequence.</summary>
    public static double EngineSum(LlamaModel model, int[] prompt, int[] response)
    {
        var n = prompt.Length + response.Length;
        var session = new TrainingSession(model, 1, n, n);
        session.Batch.Clear();
        session.Batch.Add(prompt, response);
        session.Forward(forBackward: false);
        return session.ResponseLogProbSum(0, prompt.Length);
    }

    private static double[] LogSoftmax(ReadOnlySpan<float> z)
    {
        var max = double.NegativeInfinity;
        foreach (var x in z)
        {
            max = Math.Max(max, x);
        }
        var sum = 0.0;
        foreach (var x in z)
        {
            sum += Math.Exp(x - max);
        }
        var log = Math.Log(sum) + max;
        var result = new double[z.Length];
        for (var i = 0; i < z.Length; i++)
        {
            result[i] = z[i] - log;
        }
        return result;
    }
}
