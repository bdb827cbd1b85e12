namespace OnnxTransfer.Onnx;

/// <summary>An operator set the model uses; <see cref="Domain"/> is "" for the default ONNX domain ("ai.onnx").</summary>
public readonly record struct OpsetImport(string Domain, long Version)
{
    /// <summary>The default domain is written "" or "ai.onnx"; both mean the same.</summary>
    public static string NormalizeDomain(string? domain) => domain is null or "ai.onnx" ? "" : domain;

    public override string ToString() => $"{(Domain.Length == 0 ? "ai.onnx" : Domain)} v{Version}";
}
