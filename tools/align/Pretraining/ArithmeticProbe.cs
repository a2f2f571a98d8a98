using AlignStream.Alignment.Rewards;
using AlignStream.Engine.Model;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Cli.Pretraining;

/// <summary>
/// Greedy exact-answer accuracy of a byte-level model on fresh arithmetic problems (a seed stream the
/// training data never draws from), scored by the project's arithmetic verifier: a quick check that
/// the base model has learned the `a+b=` format the demo's arithmetic task builds on.
/// </summary>
public static class ArithmeticProbe
{
    /// <summary>Fraction of <paramref name="count"/> problems answered exactly by greedy decoding.</summary>
    public static double GreedyAccuracy(LlamaModel model, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var problems = new ArithmeticProblems(Xoshiro256.DeriveSeed(seed, "arithmetic-probe"));
        var list = Enumerable.Range(0, count).Select(_ => problems.Next()).ToList();
        var prompts = list.Select(p => DocumentStream.Encode(p.Prompt)[..^1]).ToArray(); // BOS + prompt, no EOS
        var options = SamplingOptions.Greedy(6) with { StopTokens = [ByteTokenizer.EosIdConstant] };
        var capacity = Math.Min(model.Config.MaxPositionEmbeddings, prompts.Max(p => p.Length) + 6);
        var generator = new AlignStream.Engine.Inference.Generator(model, count, capacity);
        var rngs = Enumerable.Range(0, count).Select(i => new Xoshiro256((ulong)i + 1)).ToArray();
        var results = generator.Generate(prompts, options, rngs);
        var correct = 0;
        for (var i = 0; i < count; i++)
        {
            var answer = ByteTokenizer.Instance.Decode(results[i].Tokens, skipSpecialTokens: true);
            correct += ArithmeticRewardModel.Score(list[i].Prompt, answer) > 0 ? 1 : 0;
        }
        return (double)correct / count;
    }
}
