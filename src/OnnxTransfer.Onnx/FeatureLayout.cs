namespace OnnxTransfer.Onnx;

/// <summary>How a feature tensor is laid out, which says whether it still needs pooling into one vector per example.</summary>
public enum FeatureLayout
{
    /// <summary>The rank is not known.</summary>
    Unknown,

    /// <summary>Rank 2, [N, C]: one vector per example, ready to use.</summary>
    Pooled,

    /// <summary>Rank 3, [N, T, C]: one vector per token or position (e.g. an encoder's hidden states); needs token pooling.</summary>
    Sequence,

    /// <summary>Rank 4, [N, C, H, W]: a feature map; needs global average pooling over H and W (a no-op when they are 1).</summary>
    Spatial,

    /// <summary>Any other rank.</summary>
    Other,
}
