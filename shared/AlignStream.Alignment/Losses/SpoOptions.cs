namespace AlignStream.Alignment.Losses;

/// <summary>What one removable "key unit" of a response is (ALGORITHMS.md §2.1 step 1).</summary>
public enum SpoUnit
{
    /// <summary>Sentences, falling back to clauses when there are fewer than K−1 sentences (the spec's [EXT] default).</summary>
    Sentence,

    /// <summary>Whitespace-separated words.</summary>
    Word,
}

/// <summary>SPO preference-degree options (ALGORITHMS.md §2.3; all [EXT]/[RECON], defaults as marked there).</summary>
public sealed record SpoOptions
{
    public const string SectionName = "Spo";

    /// <summary>Number of degree classes K: variants remove 0..K−1 key units. Default 3.</summary>
    public int Classes { get; init; } = 3;

    /// <summary>Weight λ of the auxiliary loss: L = L_PO + λ·L_SSL. Default 0.1.</summary>
    public double Lambda { get; init; } = 0.1;

    /// <summary>Unit of removal. Default <see cref="SpoUnit.Sentence"/> (the spec's marked default and its worked example).</summary>
    public SpoUnit Unit { get; init; } = SpoUnit.Sentence;

    /// <summary>Bonus added to a unit's keyness per content word that also occurs in the prompt. Default 1.</summary>
    public int PromptOverlapBonus { get; init; } = 1;

    /// <summary>
    /// When true, <see cref="SpoCorruptor.Corrupt(string, string, Random?)"/> keeps the original plus ONE
    /// randomly chosen degree k ≥ 1 (unbiased for the mean over k ≥ 1, §2.5) instead of all K−1; needs a seeded RNG.
    /// </summary>
    public bool SubsampleOneDegree { get; init; }

    /// <summary>
    /// Head variant with 2K classes, one set per source (chosen: 0..K−1, rejected: K..2K−1) instead of
    /// one K-way head shared by both sources (the default, §2.1 step 3).
    /// </summary>
    public bool SourceSpecificClasses { get; init; }

    /// <summary>Number of outputs the degree head needs: K, or 2K with <see cref="SourceSpecificClasses"/>.</summary>
    public int HeadClasses => SourceSpecificClasses ? 2 * Classes : Classes;

    /// <summary>The class label of a variant with <paramref name="degree"/> units removed from the chosen or rejected response.</summary>
    public int Label(bool fromChosen, int degree)
    {
        if (degree < 0 || degree >= Classes)
        {
            throw new ArgumentOutOfRangeException(nameof(degree), degree, $"degree must be in [0, {Classes - 1}] (Spo.Classes = {Classes}).");
        }
        return SourceSpecificClasses && !fromChosen ? Classes + degree : degree;
    }

    /// <summary>Stopwords excluded from keyness; null means <see cref="SpoCorruptor.DefaultStopwords"/>.</summary>
    public IReadOnlySet<string>? Stopwords { get; init; }

    public SpoOptions Validate()
    {
        if (Classes < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(Classes), Classes, "Spo.Classes (K) must be >= 2: degree 0 is the original and at least one corrupted degree is needed.");
        }
        if (!(Lambda >= 0) || double.IsInfinity(Lambda))
        {
            throw new ArgumentOutOfRangeException(nameof(Lambda), Lambda, "Spo.Lambda must be a finite number >= 0 (default 0.1; 0 disables the auxiliary loss).");
        }
        if (PromptOverlapBonus < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PromptOverlapBonus), PromptOverlapBonus, "Spo.PromptOverlapBonus must be >= 0.");
        }
        return this;
    }
}
