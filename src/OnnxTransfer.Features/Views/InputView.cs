namespace OnnxTransfer.Features.Views;

/// <summary>
/// A deterministic view of an image input: the original, or a transform of the preprocessed tensor. Views are defined
/// on the tensor the backbone receives (after decode, resize, crop and normalisation), not on the picture, so the same
/// transform can be written as ONNX ops in a fused model (<c>compose --tta</c>) and reproduce the cached view exactly.
/// View 0 is always the original.
/// </summary>
public sealed record InputView(int Id, string Name)
{
    public static readonly InputView Original = new(0, "original");

    /// <summary>Mirror along the width axis of the preprocessed [channels, height, width] tensor.</summary>
    public static readonly InputView HorizontalFlip = new(1, "hflip");

    /// <summary>Every view this version knows, by id.</summary>
    public static IReadOnlyList<InputView> Known { get; } = [Original, HorizontalFlip];

    /// <summary>The view named <paramref name="name"/>, or null (the caller names the known ones in its message).</summary>
    public static InputView? Find(string name) =>
        Known.FirstOrDefault(view => string.Equals(view.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The view with id <paramref name="id"/>, or null (a cache written by a newer version).</summary>
    public static InputView? FindById(int id) => Known.FirstOrDefault(view => view.Id == id);

    /// <summary>This view as a cache records it (manifest <c>views</c>, the rows' <c>view</c> column).</summary>
    public Formats.CacheView ToCacheView() => new(Id, Name);

    /// <summary>
    /// Writes this view of <paramref name="original"/> (one image, [channels, height, width], row-major) into
    /// <paramref name="destination"/> (same length). The original view copies.
    /// </summary>
    public void Apply(ReadOnlySpan<float> original, Span<float> destination, int channels, int height, int width)
    {
        if (original.Length != checked(channels * height * width) || destination.Length != original.Length)
            throw new ArgumentException($"View '{Name}' needs {channels}×{height}×{width} floats on both sides.");
        if (Id == Original.Id)
        {
            original.CopyTo(destination);
            return;
        }
        if (Id != HorizontalFlip.Id) throw new NotSupportedException($"View '{Name}' has no tensor transform.");
        for (int row = 0; row < channels * height; row++)
        {
            var source = original.Slice(row * width, width);
            var target = destination.Slice(row * width, width);
            source.CopyTo(target);
            target.Reverse();
        }
    }

    /// <summary>
    /// As <see cref="Apply"/>, for a channels-last image (<paramref name="original"/> is [height, width, channels],
    /// an NHWC backbone's layout): the same view of the same picture, pixels kept whole.
    /// </summary>
    public void ApplyChannelsLast(ReadOnlySpan<float> original, Span<float> destination, int height, int width, int channels)
    {
        if (Id != HorizontalFlip.Id)
        {
            Apply(original, destination, channels, height, width); // the layout does not matter to a copy (or a refusal)
            return;
        }
        if (original.Length != checked(channels * height * width) || destination.Length != original.Length)
            throw new ArgumentException($"View '{Name}' needs {height}×{width}×{channels} floats on both sides.");
        var rowLength = width * channels;
        for (int row = 0; row < height; row++)
        {
            var source = original.Slice(row * rowLength, rowLength);
            var target = destination.Slice(row * rowLength, rowLength);
            for (int x = 0; x < width; x++)
                source.Slice((width - 1 - x) * channels, channels).CopyTo(target.Slice(x * channels, channels));
        }
    }
}
