using System.Globalization;
using AlignStream.Engine.Sampling;

namespace AlignStream.Cli.Pretraining;

/// <summary>One arithmetic problem: the prompt (`37+45=`) and its answer (`82`).</summary>
public readonly record struct ArithmeticProblem(string Prompt, string Answer)
{
    /// <summary>The training text: prompt and answer together, e.g. `37+45=82`.</summary>
    public string Text => Prompt + Answer;
}

/// <summary>
/// Seeded arithmetic strings in the format the arithmetic verifier reads: `a+b=` with a, b in
/// 0..<see cref="MaxAddend"/> and `a*b=` with a, b in 0..<see cref="MaxFactor"/>. Same seed, same sequence.
/// </summary>
public sealed class ArithmeticProblems(ulong seed, int maxAddend = 99, int maxFactor = 12, double multiplyShare = 0.5)
{
    // A mutable struct: kept in a non-readonly field so draws advance it.
    private Xoshiro256 _rng = new(seed);

    /// <summary>Largest operand of an addition.</summary>
    public int MaxAddend { get; } = maxAddend >= 0 ? maxAddend : throw new ArgumentOutOfRangeException(nameof(maxAddend), maxAddend, "maxAddend must be zero or positive");

    /// <summary>Largest operand of a multiplication.</summary>
    public int MaxFactor { get; } = maxFactor >= 0 ? maxFactor : throw new ArgumentOutOfRangeException(nameof(maxFactor), maxFactor, "maxFactor must be zero or positive");

    /// <summary>Probability that a problem is a multiplication.</summary>
    public double MultiplyShare { get; } = multiplyShare is >= 0 and <= 1 ? multiplyShare : throw new ArgumentOutOfRangeException(nameof(multiplyShare), multiplyShare, "multiplyShare must be in [0, 1]");

    /// <summary>The next problem of the seeded stream.</summary>
    public ArithmeticProblem Next()
    {
        var multiply = _rng.NextDouble() < MultiplyShare;
        var max = multiply ? MaxFactor : MaxAddend;
        var a = _rng.NextInt(max + 1);
        var b = _rng.NextInt(max + 1);
        var c = multiply ? (long)a * b : (long)a + b;
        var op = multiply ? '*' : '+';
        return new ArithmeticProblem(
            string.Create(CultureInfo.InvariantCulture, $"{a}{op}{b}="),
            c.ToString(CultureInfo.InvariantCulture));
    }
}
