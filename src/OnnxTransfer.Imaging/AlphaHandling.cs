namespace OnnxTransfer.Imaging;

/// <summary>What the decoder does with an alpha channel.</summary>
public enum AlphaHandling
{
    /// <summary>
    /// Drop alpha and keep the stored colour, exactly like PIL's <c>Image.convert('RGB')</c>, which torchvision training
    /// pipelines use; features then match a torchvision-trained head. Fully transparent pixels keep whatever colour the
    /// file stores there (often black).
    /// </summary>
    Discard,

    /// <summary>Composite on <see cref="ImageDecoderOptions.Background"/> (what a viewer shows).</summary>
    Flatten,
}
