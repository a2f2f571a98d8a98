namespace AlignStream.Engine.Training;

/// <summary>AdamW hyper-parameters (PyTorch defaults except weight decay, which is 0 unless given).</summary>
public sealed record AdamWOptions(double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8, double WeightDecay = 0)
{
    /// <summary>Throws naming the field when a value is out of range.</summary>
    public void Validate()
    {
        if (Beta1 is < 0 or >= 1 || double.IsNaN(Beta1))
        {
            throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "AdamWOptions.Beta1 must be in [0, 1)");
        }
        if (Beta2 is < 0 or >= 1 || double.IsNaN(Beta2))
        {
            throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "AdamWOptions.Beta2 must be in [0, 1)");
        }
        if (!(Epsilon > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "AdamWOptions.Epsilon must be positive (1e-8 is usual)");
        }
        if (!(WeightDecay >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "AdamWOptions.WeightDecay must be zero or positive");
        }
    }
}
