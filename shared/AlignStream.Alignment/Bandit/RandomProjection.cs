namespace AlignStream.Alignment.Bandit;

/// <summary>
/// A fixed seeded Gaussian projection R^d → R^d' (entries N(0, 1/d')) that shrinks large policy contexts
/// before LinUCB ([EXT], §3.6: d' ≈ 64–256 keeps each step O(K·d'²)). Every replica that uses the same
/// seed and shapes gets the same matrix, so their bandit states stay compatible.
/// </summary>
public sealed class RandomProjection
{
    private readonly double[] _matrix;

    public RandomProjection(int inputDimension, int outputDimension, int seed)
    {
        if (inputDimension < 1 || outputDimension < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(outputDimension), $"projection dimensions must be >= 1 (got {inputDimension} → {outputDimension}).");
        }
        InputDimension = inputDimension;
        OutputDimension = outputDimension;
        _matrix = new double[inputDimension * outputDimension];
        var rng = new Random(seed);
        var scale = 1.0 / Math.Sqrt(outputDimension);
        for (var i = 0; i < _matrix.Length; i++)
        {
            // Box–Muller: two uniforms to one standard normal.
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            _matrix[i] = scale * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
    }

    public int InputDimension { get; }

    public int OutputDimension { get; }

    /// <summary>y = P·x; x: [d]; returns [d'].</summary>
    public double[] Project(ReadOnlySpan<double> x)
    {
        if (x.Length != InputDimension)
        {
            throw new ArgumentException($"context has width {x.Length}; the projection expects {InputDimension}.", nameof(x));
        }
        var y = new double[OutputDimension];
        for (var i = 0; i < y.Length; i++)
        {
            var row = _matrix.AsSpan(i * InputDimension, InputDimension);
            var acc = 0.0;
            for (var j = 0; j < row.Length; j++)
            {
                acc += row[j] * x[j];
            }
            y[i] = acc;
        }
        return y;
    }
}
