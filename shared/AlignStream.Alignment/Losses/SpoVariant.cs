namespace AlignStream.Alignment.Losses;

/// <summary>One corrupted response: the degree label (number of key units removed), its text and its fresh tokenisation.</summary>
public sealed record SpoVariant(int Degree, string Text, int[] TokenIds);
