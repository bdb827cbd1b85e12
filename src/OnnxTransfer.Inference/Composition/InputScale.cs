namespace OnnxTransfer.Inference.Composition;

/// <summary>The pixel values a fused model with folded input normalisation takes.</summary>
public enum InputScale
{
    /// <summary>0–1 (decoded bytes / 255): what most image libraries give as float.</summary>
    Unit,
    /// <summary>0–255 (the decoded bytes as float): no arithmetic at all before the model.</summary>
    Byte,
}
