namespace AlignStream.Alignment.Segments;

/// <summary>An inclusive token range [Start, End] of a response.</summary>
public readonly record struct Segment(int Start, int End)
{
    public int Length => End - Start + 1;
}
