namespace OnnxTransfer.Onnx;

/// <summary>
/// One node of the main graph, at position <see cref="Index"/>. <see cref="Domain"/> is "" for the default ONNX domain.
/// Empty strings in <see cref="Inputs"/> are omitted optional inputs, as in the file.
/// </summary>
public sealed record NodeInfo(int Index, string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs)
{
    /// <summary>Like "Gemm '/classifier/Gemm'" (or "Gemm #12" for an unnamed node), for messages.</summary>
    public string Describe() => Name.Length > 0 ? $"{OpType} '{Name}'" : $"{OpType} #{Index}";

    public override string ToString() => $"{Describe()} ({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";
}
