using AlignStream.Cli.Pretraining;
using AlignStream.Engine.Sampling;

namespace AlignStream.Cli.Demo;

/// <summary>One demo prompt: its task, the text the generator continues, and for arithmetic the expected answer.</summary>
public sealed record DemoPrompt(string Task, string Text);

/// <summary>
/// The demo's data, built from real text nobody on the project wrote: sentence openings of the held-out Brown files
/// (task <c>sentiment</c>: continue the sentence positively) and arithmetic problems (task <c>arith</c>). The held-out
/// sentences are shuffled with the seed and split: the first <see cref="DemoOptions.EvalPrompts"/> form the fixed eval
/// set, the rest feed the stream; arithmetic eval and stream problems come from separate seed streams, and stream
/// problems that also appear in the eval set are skipped.
/// </summary>
public sealed class DemoTasks
{
    public const string Sentiment = "sentiment";
    public const string Arith = "arith";

    private readonly IReadOnlyList<string> _streamOpenings;
    private readonly ArithmeticProblems _streamArith;
    private readonly HashSet<string> _evalArith;
    private Xoshiro256 _mix;
    private int _nextOpening;

    public DemoTasks(IReadOnlyList<string> heldOutSentences, DemoOptions options)
    {
        ArgumentNullException.ThrowIfNull(heldOutSentences);
        Options = options ?? throw new ArgumentNullException(nameof(options));
        var openings = heldOutSentences.Select(s => Opening(s, options.PromptWords)).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (openings.Count < options.EvalPrompts + 1)
        {
            throw new InvalidOperationException(
                $"the held-out Brown sentences give {openings.Count} prompt openings; Demo:EvalPrompts={options.EvalPrompts} leaves none for the stream. Lower Demo:EvalPrompts.");
        }
        var rng = new Xoshiro256(Xoshiro256.DeriveSeed(options.Seed, "demo-openings"));
        for (var i = openings.Count - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (openings[i], openings[j]) = (openings[j], openings[i]);
        }
        EvalSentiment = openings.Take(options.EvalPrompts).Select(t => new DemoPrompt(Sentiment, t)).ToArray();
        _streamOpenings = openings.Skip(options.EvalPrompts).ToArray();

        var evalProblems = new ArithmeticProblems(Xoshiro256.DeriveSeed(options.Seed, "demo-eval-arith"));
        var eval = new List<ArithmeticProblem>();
        _evalArith = new HashSet<string>(StringComparer.Ordinal);
        while (eval.Count < options.EvalPrompts)
        {
            var p = evalProblems.Next();
            if (_evalArith.Add(p.Prompt))
            {
                eval.Add(p);
            }
        }
        EvalArith = eval.Select(p => new DemoPrompt(Arith, p.Prompt)).ToArray();
        _streamArith = new ArithmeticProblems(Xoshiro256.DeriveSeed(options.Seed, "demo-stream-arith"));
        _mix = new Xoshiro256(Xoshiro256.DeriveSeed(options.Seed, "demo-mix"));
    }

    public DemoOptions Options { get; }

    /// <summary>The fixed sentiment eval prompts.</summary>
    public IReadOnlyList<DemoPrompt> EvalSentiment { get; }

    /// <summary>The fixed arithmetic eval prompts.</summary>
    public IReadOnlyList<DemoPrompt> EvalArith { get; }

    /// <summary>Sentence openings left for the stream.</summary>
    public int StreamOpenings => _streamOpenings.Count;

    /// <summary>The eval prompts of one task.</summary>
    public IReadOnlyList<DemoPrompt> Eval(string task) => task == Arith ? EvalArith : EvalSentiment;

    /// <summary>The next task-homogeneous chunk of the stream (sentence openings cycle when exhausted).</summary>
    public IReadOnlyList<DemoPrompt> NextChunk()
    {
        var tasks = Options.Tasks;
        var task = tasks.Count == 1 ? tasks[0] : _mix.NextDouble() < Options.ArithShare ? Arith : Sentiment;
        var chunk = new List<DemoPrompt>(Options.Chunk);
        while (chunk.Count < Options.Chunk)
        {
            if (task == Arith)
            {
                var p = _streamArith.Next();
                if (!_evalArith.Contains(p.Prompt))
                {
                    chunk.Add(new DemoPrompt(Arith, p.Prompt));
                }
            }
            else
            {
                chunk.Add(new DemoPrompt(Sentiment, _streamOpenings[_nextOpening]));
                _nextOpening = (_nextOpening + 1) % _streamOpenings.Count;
            }
        }
        return chunk;
    }

    /// <summary>The first <paramref name="words"/> words of a sentence that has at least three more; null for shorter ones.</summary>
    public static string? Opening(string sentence, int words)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var parts = sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < words + 3 || parts.Take(words).Any(p => !p.Any(char.IsLetter)))
        {
            return null;
        }
        return string.Join(' ', parts.Take(words));
    }
}
