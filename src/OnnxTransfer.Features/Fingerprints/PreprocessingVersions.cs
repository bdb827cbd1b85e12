namespace OnnxTransfer.Features.Fingerprints;

/// <summary>
/// Versions of the code that turns inputs into tensors. They enter the cache fingerprint: when a change to decoding
/// or resampling changes tensor values (even by one rounding step), bump the version, and caches made before are
/// refused instead of being mixed with new embeddings.
/// </summary>
public static class PreprocessingVersions
{
    /// <summary>libvips decoding + the PIL-exact resampler of <c>OnnxTransfer.Imaging</c> (PIL 9.4 / torchvision 0.14 semantics).</summary>
    public const string Image = "onnxtransfer.imaging/1";

    /// <summary>The WordPiece tokenizer of <c>OnnxTransfer.Text</c> (Hugging Face tokenizers ≤ 0.22 semantics).</summary>
    public const string Text = "onnxtransfer.text/1";
}
