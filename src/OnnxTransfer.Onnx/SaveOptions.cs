namespace OnnxTransfer.Onnx;

/// <summary>Options of <see cref="OnnxModel.Save"/>.</summary>
public sealed record SaveOptions
{
    public static SaveOptions Default { get; } = new();

    public ExternalDataMode ExternalData { get; init; } = ExternalDataMode.Keep;

    /// <summary>Run <see cref="OnnxModel.Validate"/> first and refuse to write an invalid graph (default true).</summary>
    public bool Validate { get; init; } = true;

    /// <summary>File name of the data file <see cref="ExternalDataMode.Consolidate"/> writes, relative to the model's directory.</summary>
    public string? DataFileName { get; init; }
}
