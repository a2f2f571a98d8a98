namespace AlignStream.Alignment.Selection;

/// <summary>A chosen/rejected pair of candidate indices with its reward margin R_chosen − R_rejected.</summary>
public readonly record struct SelectedPair(int Chosen, int Rejected, double Margin);
