namespace OnnxTransfer.Features.Specs;

/// <summary>How a feature tensor becomes one vector per example.</summary>
public enum FeaturePooling
{
    /// <summary>The tensor is already [N, D].</summary>
    None,

    /// <summary>A [N, C, H, W] feature map is averaged over H and W (global average pooling) into [N, C].</summary>
    GlobalAverage,
}

/// <summary>The spec's <c>features</c> section: which tensor holds the embedding and what is done to it.</summary>
/// <param name="Tensor">The tensor to cut the backbone at, or <see cref="Auto"/> for <c>FeatureTensorLocator</c>'s choice.</param>
/// <param name="Pooling">Pooling applied when the tensor is not yet one vector per example.</param>
/// <param name="L2Normalize">Scale every embedding to unit Euclidean length.</param>
public sealed record FeatureSpec(string Tensor = FeatureSpec.Auto, FeaturePooling Pooling = FeaturePooling.None, bool L2Normalize = false)
{
    /// <summary>The tensor name that asks for the feature-tensor locator.</summary>
    public const string Auto = "auto";

    public bool IsAuto => string.Equals(Tensor, Auto, StringComparison.Ordinal);
}
