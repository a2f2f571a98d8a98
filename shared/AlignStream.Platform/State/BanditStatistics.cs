namespace AlignStream.Platform.State;

/// <summary>
/// One additive update of a LASeR (LinUCB-style) bandit arm: A += DeltaA, b += DeltaB, pulls += Pulls.
/// For a context x and reward r the usual update is DeltaA = x xᵀ and DeltaB = r x.
/// </summary>
/// <param name="Arm">Arm index, 0 or more.</param>
/// <param name="DeltaA">d×d row-major, length d².</param>
/// <param name="DeltaB">Length d.</param>
/// <param name="Pulls">How many pulls this update stands for (usually 1).</param>
public sealed record BanditUpdate(int Arm, double[] DeltaA, double[] DeltaB, long Pulls = 1)
{
    /// <summary>Dimension d of the context, from <see cref="DeltaB"/>.</summary>
    public int Dimension => DeltaB.Length;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field when the shapes disagree.</summary>
    public void EnsureValid()
    {
        if (Arm < 0)
        {
            throw new ArgumentException($"BanditUpdate.Arm must be 0 or more (got {Arm}).", nameof(Arm));
        }

        if (DeltaB.Length == 0)
        {
            throw new ArgumentException("BanditUpdate.DeltaB must not be empty (its length is the context dimension d).", nameof(DeltaB));
        }

        if (DeltaA.Length != DeltaB.Length * DeltaB.Length)
        {
            throw new ArgumentException(
                $"BanditUpdate.DeltaA must hold d*d = {DeltaB.Length * DeltaB.Length} values for d = {DeltaB.Length} (got {DeltaA.Length}).",
                nameof(DeltaA));
        }
    }
}

/// <summary>Accumulated statistics of one arm.</summary>
/// <param name="A">d×d row-major sum of the A deltas (add the ridge λI when solving).</param>
/// <param name="B">Length-d sum of the b deltas.</param>
/// <param name="Pulls">Sum of pulls.</param>
public sealed record BanditArmStatistics(double[] A, double[] B, long Pulls);

/// <summary>A consistent snapshot of every arm of one bandit, read in one step.</summary>
/// <param name="Dimension">Context dimension d.</param>
/// <param name="Arms">Statistics by arm index; arms never updated are absent.</param>
public sealed record BanditSnapshot(int Dimension, IReadOnlyDictionary<int, BanditArmStatistics> Arms);
