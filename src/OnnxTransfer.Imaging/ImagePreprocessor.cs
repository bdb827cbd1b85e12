using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OnnxTransfer.Imaging;

/// <summary>
/// Turns an upright RGB image into one image's slice of a float input tensor: resize (PIL-exact resampling), crop or
/// pad, scale, normalise, lay out. Immutable and thread-safe; per-thread scratch buffers are reused, and the caller's
/// destination (a slice of a batch tensor) is written in place, so a steady pipeline allocates nothing per image.
/// </summary>
public sealed class ImagePreprocessor : IResizePlanner
{
    // values[channel * 256 + byte]: the exact float32 result of torchvision's ToTensor + Normalize for that byte,
    // indexed by the tensor's channel. A table lookup gives the same bits as computing (v / 255 − mean) / std in
    // float32, lane by lane, and costs less than the arithmetic.
    private readonly float[] _values = new float[3 * 256];
    private readonly int[] _sourceChannel = new int[3];

    public ImagePreprocessor(PreprocessSettings? settings = null)
    {
        Settings = settings ?? PreprocessSettings.ImageNet;
        Settings.Validate();
        for (var channel = 0; channel < 3; channel++)
        {
            var rgb = Settings.ChannelOrder == ChannelOrder.Bgr ? 2 - channel : channel;
            _sourceChannel[channel] = rgb;
            float mean = Settings.Mean[rgb], std = Settings.Std[rgb];
            for (var v = 0; v < 256; v++)
            {
                var x = Settings.Scale == PixelScale.UnitInterval ? v / 255f : v;
                _values[channel * 256 + v] = (x - mean) / std;
            }
        }
    }

    public PreprocessSettings Settings { get; }

    /// <summary>Floats written per image: 3 × width × height.</summary>
    public int TensorLength => Settings.TensorLength;

    /// <summary>The per-image tensor shape in the configured layout: [3, H, W] or [H, W, 3].</summary>
    public int[] ImageShape => Settings.Layout == TensorLayout.Nchw ? [3, Settings.Height, Settings.Width] : [Settings.Height, Settings.Width, 3];

    /// <inheritdoc />
    public (int Width, int Height) ResizedSize(int width, int height)
    {
        var plan = ResizePlan.For(Settings, width, height);
        return (plan.ResizedWidth, plan.ResizedHeight);
    }

    /// <summary>Preprocesses <paramref name="image"/> into <paramref name="destination"/> (exactly <see cref="TensorLength"/> floats).</summary>
    public void Process(RgbImageView image, Span<float> destination)
    {
        if (destination.Length != TensorLength)
            throw new ArgumentException(
                $"destination must hold exactly one image's tensor ({TensorLength} floats = 3×{Settings.Height}×{Settings.Width}); got {destination.Length}. " +
                "Pass the slice of the batch for this image.", nameof(destination));
        var pixelCount = Settings.Width * Settings.Height;
        var rgb = PixelBuffer(pixelCount * 3);
        Resample(image, rgb);
        WriteTensor(rgb, destination, pixelCount);
    }

    /// <inheritdoc cref="Process(RgbImageView, Span{float})"/>
    public void Process(DecodedImage image, Span<float> destination) => Process(image.View, destination);

    /// <summary>
    /// The resized and cropped (or padded) 8-bit RGB image before scaling and normalisation, into
    /// <paramref name="destination"/> (width × height × 3 bytes). For previews, and to compare with PIL byte for byte.
    /// </summary>
    public void Resample(RgbImageView image, Span<byte> destination)
    {
        var length = Settings.Width * Settings.Height * 3;
        if (destination.Length != length)
            throw new ArgumentException($"destination must hold {Settings.Width}×{Settings.Height}×3 = {length} bytes; got {destination.Length}.", nameof(destination));
        var plan = ResizePlan.For(Settings, image.Width, image.Height);
        PilResampler.Resample(image, plan, Settings.Width, Settings.Height, Settings.Filter, Settings.PadColor, destination);
    }

    private void WriteTensor(ReadOnlySpan<byte> rgb, Span<float> destination, int pixelCount)
    {
        // Indices are in range by construction (bytes index 256-entry tables; sizes checked by Process), so the loops
        // walk references without bounds checks.
        ref var table = ref MemoryMarshal.GetArrayDataReference(_values);
        ref var source = ref MemoryMarshal.GetReference(rgb);
        ref var target = ref MemoryMarshal.GetReference(destination);
        if (Settings.Layout == TensorLayout.Nchw)
        {
            for (var channel = 0; channel < 3; channel++)
            {
                ref var values = ref Unsafe.Add(ref table, channel * 256);
                ref var plane = ref Unsafe.Add(ref target, channel * pixelCount);
                ref var pixel = ref Unsafe.Add(ref source, _sourceChannel[channel]);
                for (var p = 0; p < pixelCount; p++)
                    Unsafe.Add(ref plane, p) = Unsafe.Add(ref values, Unsafe.Add(ref pixel, p * 3));
            }
        }
        else
        {
            ref var r = ref table;
            ref var g = ref Unsafe.Add(ref table, 256);
            ref var b = ref Unsafe.Add(ref table, 512);
            int c0 = _sourceChannel[0], c1 = _sourceChannel[1], c2 = _sourceChannel[2];
            for (var i = 0; i < pixelCount * 3; i += 3)
            {
                Unsafe.Add(ref target, i) = Unsafe.Add(ref r, Unsafe.Add(ref source, i + c0));
                Unsafe.Add(ref target, i + 1) = Unsafe.Add(ref g, Unsafe.Add(ref source, i + c1));
                Unsafe.Add(ref target, i + 2) = Unsafe.Add(ref b, Unsafe.Add(ref source, i + c2));
            }
        }
    }

    [ThreadStatic] private static byte[]? _pixelBuffer;

    private static Span<byte> PixelBuffer(int length)
    {
        var buffer = _pixelBuffer;
        if (buffer is null || buffer.Length < length) _pixelBuffer = buffer = new byte[length];
        return buffer.AsSpan(0, length);
    }
}
