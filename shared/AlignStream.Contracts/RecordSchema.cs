namespace AlignStream.Contracts;

/// <summary>The schema version written into every record; readers reject newer majors.</summary>
public static class RecordSchema
{
    public const uint Version = 1;
}
