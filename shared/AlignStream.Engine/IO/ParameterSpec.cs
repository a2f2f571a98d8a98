namespace AlignStream.Engine.IO;

/// <summary>
/// One named parameter tensor of a Llama model, in Hugging Face naming and row-major shape
/// (e.g. <c>model.layers.0.self_attn.q_proj.weight</c>, [heads*head_dim, hidden]).
/// </summary>
/// <param name="Name">Hugging Face tensor name.</param>
/// <param name="Shape">Row-major shape, outermost first.</param>
public sealed record ParameterSpec(string Name, IReadOnlyList<int> Shape)
{
    /// <summary>Number of elements (product of the shape).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape)
            {
                n *= d;
            }

            return n;
        }
    }

    /// <summary>The shape as text, e.g. "[256, 260]", for error messages.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>Formats any shape the way error messages show it.</summary>
    public static string FormatShape(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";
}
