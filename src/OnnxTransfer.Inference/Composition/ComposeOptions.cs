namespace OnnxTransfer.Inference.Composition;

/// <summary>How <see cref="FusedModelComposer"/> builds the fused graph.</summary>
public sealed record ComposeOptions
{
    /// <summary>
    /// Fold the spec's mean/std normalisation (and the 0–1/0–255 scaling) into the graph, so callers feed raw pixels at
    /// this scale; null keeps the backbone's input as it is (callers normalise, as the spec says).
    /// </summary>
    public InputScale? FoldNormalization { get; init; }

    /// <summary>Also output the pooled, normalised embedding the head reads, as <c>features</c> [N, D].</summary>
    public bool IncludeFeatures { get; init; }

    /// <summary>
    /// Views of the input whose probabilities the graph averages (image backbones with a dynamic batch axis);
    /// <see cref="TestTimeAugmentation.None"/> (the default) keeps today's single-view graph.
    /// </summary>
    public TestTimeAugmentation TestTimeAugmentation { get; init; } = TestTimeAugmentation.None;

    /// <summary>Accept a head whose cache fingerprint differs from the backbone's (with a warning); see <see cref="Heads.HeadCompatibility"/>.</summary>
    public bool AllowFingerprintMismatch { get; init; }

    /// <summary>Receives warnings (allowed mismatches, a head without fingerprint).</summary>
    public Action<string>? WarningSink { get; init; }
}
