namespace AlignStream.Engine.IO;

/// <summary>Element types of the safetensors format. Float types can be read as fp32; the integer ones can only be listed.</summary>
public enum SafeTensorsDType
{
    /// <summary>32-bit IEEE float.</summary>
    F32,

    /// <summary>bfloat16 (the top 16 bits of an fp32).</summary>
    BF16,

    /// <summary>16-bit IEEE half.</summary>
    F16,

    /// <summary>64-bit IEEE double.</summary>
    F64,

    /// <summary>64-bit signed integer.</summary>
    I64,

    /// <summary>32-bit signed integer.</summary>
    I32,

    /// <summary>16-bit signed integer.</summary>
    I16,

    /// <summary>8-bit signed integer.</summary>
    I8,

    /// <summary>8-bit unsigned integer.</summary>
    U8,

    /// <summary>Boolean stored as one byte.</summary>
    Bool,
}

/// <summary>Names and sizes of <see cref="SafeTensorsDType"/> values as the format spells them.</summary>
public static class SafeTensorsDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this SafeTensorsDType t) => t switch
    {
        SafeTensorsDType.F64 or SafeTensorsDType.I64 => 8,
        SafeTensorsDType.F32 or SafeTensorsDType.I32 => 4,
        SafeTensorsDType.BF16 or SafeTensorsDType.F16 or SafeTensorsDType.I16 => 2,
        _ => 1,
    };

    /// <summary>Whether the engine can convert this type to fp32 on read.</summary>
    public static bool IsFloat(this SafeTensorsDType t) =>
        t is SafeTensorsDType.F32 or SafeTensorsDType.BF16 or SafeTensorsDType.F16 or SafeTensorsDType.F64;

    /// <summary>The header spelling ("F32", "BF16", "BOOL", ...).</summary>
    public static string ToHeaderName(this SafeTensorsDType t) => t == SafeTensorsDType.Bool ? "BOOL" : t.ToString();

    /// <summary>Parses the header spelling; false for types the engine does not know (e.g. F8_E4M3).</summary>
    public static bool TryParse(string text, out SafeTensorsDType type)
    {
        switch (text)
        {
            case "F32": type = SafeTensorsDType.F32; return true;
            case "BF16": type = SafeTensorsDType.BF16; return true;
            case "F16": type = SafeTensorsDType.F16; return true;
            case "F64": type = SafeTensorsDType.F64; return true;
            case "I64": type = SafeTensorsDType.I64; return true;
            case "I32": type = SafeTensorsDType.I32; return true;
            case "I16": type = SafeTensorsDType.I16; return true;
            case "I8": type = SafeTensorsDType.I8; return true;
            case "U8": type = SafeTensorsDType.U8; return true;
            case "BOOL": type = SafeTensorsDType.Bool; return true;
            default: type = default; return false;
        }
    }
}
