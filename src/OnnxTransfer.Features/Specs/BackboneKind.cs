namespace OnnxTransfer.Features.Specs;

/// <summary>What a backbone reads.</summary>
public enum BackboneKind
{
    /// <summary>Images: decoded and preprocessed by <c>OnnxTransfer.Imaging</c> (the spec's <c>image</c> section).</summary>
    Image,

    /// <summary>Text: tokenised by <c>OnnxTransfer.Text</c> (the spec's <c>text</c> section).</summary>
    Text,
}
