using OnnxTransfer.Formats;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Export;

/// <summary>How the standardisation of a head is written to ONNX.</summary>
public enum StandardizationExport
{
    /// <summary>Fold into the first Gemm when that stays within <see cref="HeadExportOptions.FoldTolerance"/>, else Sub/Div nodes.</summary>
    Auto,
    /// <summary>Always fold (W' = W·diag(1/scale), b' = b − W'·mean).</summary>
    Fold,
    /// <summary>Always emit Sub(mean) and Div(scale) nodes before the first Gemm (exactly the trainer's arithmetic).</summary>
    Nodes,
}

/// <summary>Settings of <see cref="HeadOnnxExporter"/>: the opset, standardisation handling, and what goes into the metadata.</summary>
public sealed record HeadExportOptions
{
    /// <summary>Lowest and highest default-domain opset the exporter writes (Softmax's single-axis form needs 13).</summary>
    public const int MinimumOpset = 13, MaximumOpset = 23;

    /// <summary>
    /// The ONNX opset of the head. Composing with a backbone needs an opset compatible with the backbone's (see
    /// <c>OnnxModel.Append</c>); GELU is one <c>Gelu</c> node from opset 20, the Erf form below.
    /// </summary>
    public int Opset { get; init; } = 17;

    public StandardizationExport Standardization { get; init; } = StandardizationExport.Auto;

    /// <summary>
    /// Largest difference in any output probability the folded first layer may make (checked on probe inputs around the
    /// training mean, see <see cref="HeadOnnxExporter"/>) for <see cref="StandardizationExport.Auto"/> to fold. Default
    /// 1e-5, the parity the exported head keeps with the trainer.
    /// </summary>
    public double FoldTolerance { get; init; } = 1e-5;

    /// <summary>Metrics per split at training time, for <see cref="MetadataKeys.Metrics"/>.</summary>
    public IReadOnlyList<ClassificationMetrics> Metrics { get; init; } = [];

    /// <summary>The sweep that chose the head (its validation scheme and best score go into the metrics).</summary>
    public SweepResult? Sweep { get; init; }

    /// <summary>The cache the head was trained on, for <see cref="MetadataKeys.CacheFingerprint"/> and its sha256.</summary>
    public BackboneFingerprint? Fingerprint { get; init; }

    /// <summary>The numerics of the cache the head was trained on, for <see cref="MetadataKeys.CacheNumerics"/>.</summary>
    public CacheNumerics? CacheNumerics { get; init; }

    /// <summary>An OOD detector to add as the <c>ood_score</c> output (<see cref="OodExport"/>); null: none.</summary>
    public global::OnnxTransfer.Training.Ood.OodDetector? Ood { get; init; }

    /// <summary>More metadata entries (e.g. the training command), written after the standard keys.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraMetadata { get; init; } = [];

    public void Validate()
    {
        if (Opset is < MinimumOpset or > MaximumOpset)
            throw new ArgumentOutOfRangeException(nameof(Opset), Opset,
                $"The head's opset must be within {MinimumOpset}..{MaximumOpset} (17 is the default; use the backbone's opset to compose with it).");
        if (!Enum.IsDefined(Standardization)) throw new ArgumentOutOfRangeException(nameof(Standardization), Standardization, "Unknown standardisation export.");
        if (!(FoldTolerance >= 0) || !double.IsFinite(FoldTolerance))
            throw new ArgumentOutOfRangeException(nameof(FoldTolerance), FoldTolerance, "FoldTolerance must be finite and ≥ 0, e.g. 1e-5.");
    }
}
