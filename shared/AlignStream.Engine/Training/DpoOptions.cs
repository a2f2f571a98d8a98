namespace AlignStream.Engine.Training;

/// <summary>DPO hyper-parameters.</summary>
public sealed record DpoOptions(double Beta = 0.1, double LabelSmoothing = 0)
{
    /// <summary>Throws naming the field when a value is out of range.</summary>
    public void Validate()
    {
        if (!(Beta > 0) || double.IsInfinity(Beta))
        {
            throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "DpoOptions.Beta must be a positive number (0.1 is the usual default)");
        }
        if (LabelSmoothing is < 0 or >= 0.5 || double.IsNaN(LabelSmoothing))
        {
            throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "DpoOptions.LabelSmoothing must be in [0, 0.5)");
        }
    }
}
