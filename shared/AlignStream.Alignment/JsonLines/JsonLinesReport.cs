namespace AlignStream.Alignment.JsonLines;

/// <summary>How many input lines were processed and how many failed (each failure was reported on the error writer).</summary>
public sealed record JsonLinesReport(int Processed, int Failed)
{
    /// <summary>The CLI exit code: 1 when any line failed, else 0.</summary>
    public int ExitCode => Failed > 0 ? 1 : 0;
}
