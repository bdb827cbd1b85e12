namespace OnnxTransfer.Onnx;

/// <summary>Options of <see cref="OnnxModel.Append"/>.</summary>
public sealed record AppendOptions
{
    public static AppendOptions Default { get; } = new();

    /// <summary>
    /// Keep the head's output names unprefixed (default true), so the fused model's outputs are named like the head's
    /// (e.g. "probabilities") and a caller reads them the same way from either. Refused if a name is taken in the backbone.
    /// </summary>
    public bool KeepHeadOutputNames { get; init; } = true;

    /// <summary>Keep the backbone's current outputs in addition to the head's (default false: only the head's outputs).</summary>
    public bool KeepBackboneOutputs { get; init; }

    /// <summary>Copy the head's metadata entries into the model, replacing entries with the same key (default true).</summary>
    public bool CopyHeadMetadata { get; init; } = true;
}
