using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OnnxTransfer.Imaging;

/// <summary>
/// Turns an upright RGB image into one image's slice of a float input tensor: resize (PIL-exact resampling), crop or
/// pad, scale, normalise, lay out. Immutable and thread-safe; per-thread scratch buffers are reused, and the caller's
/// destination (a slice of a batch tensor) is written in place, so a steady pipeline allocates nothing per image.
/// </summary>
public sealed class ImagePreprocessor : IResizePlanner
{
    // values[channel * 256 + byte]: the exact float32 result of torchvision's ToTensor + Normalize for that byte,
    // indexed by the tensor's channel. The vector path computes (v / 255 − mean) / std with the same float32 operations
    // (8 lanes per instruction beat a gather); the table serves row tails and the channels-last layout.
    private readonly float[] _values = new float[3 * 256];
    // Per tensor channel: which RGB plane feeds it (BGR swaps), and its mean and std.
    private readonly int[] _sourceChannel = new int[3];
    private readonly float[] _mean = new float[3];
    private readonly float[] _std = new float[3];

    public ImagePreprocessor(PreprocessSettings? settings = null)
    {
        Settings = settings ?? PreprocessSettings.ImageNet;
        Settings.Validate();
        for (var channel = 0; channel < 3; channel++)
        {
            var rgb = Settings.ChannelOrder == ChannelOrder.Bgr ? 2 - channel : channel;
            _sourceChannel[channel] = rgb;
            float mean = Settings.Mean[rgb], std = Settings.Std[rgb];
            _mean[channel] = mean;
            _std[channel] = std;
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
    /// <remarks>
    /// One pass: each resampled output row, still in L1, is scaled and normalised straight into its place in the tensor.
    /// </remarks>
    public void Process(RgbImageView image, Span<float> destination)
    {
        if (destination.Length != TensorLength)
            throw new ArgumentException(
                $"destination must hold exactly one image's tensor ({TensorLength} floats = 3×{Settings.Height}×{Settings.Width}); got {destination.Length}. " +
                "Pass the slice of the batch for this image.", nameof(destination));
        var plan = ResizePlan.For(Settings, image.Width, image.Height);
        var sink = new TensorRowWriter(this, destination);
        PilResampler.Resample(image, plan, Settings.Width, Settings.Height, Settings.Filter, Settings.PadColor, ref sink);
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
        var sink = new InterleavedRowWriter(destination);
        PilResampler.Resample(image, plan, Settings.Width, Settings.Height, Settings.Filter, Settings.PadColor, ref sink);
    }

    /// <summary>Interleaves each output row back into RGB bytes.</summary>
    private readonly ref struct InterleavedRowWriter(Span<byte> destination) : IResampledRowSink
    {
        private readonly Span<byte> _destination = destination;

        public void Row(int y, ReadOnlySpan<byte> red, ReadOnlySpan<byte> green, ReadOnlySpan<byte> blue)
        {
            var row = _destination.Slice(y * red.Length * 3, red.Length * 3);
            for (var x = 0; x < red.Length; x++)
            {
                row[x * 3] = red[x];
                row[x * 3 + 1] = green[x];
                row[x * 3 + 2] = blue[x];
            }
        }
    }

    /// <summary>Scales and normalises each output row into the tensor, in its layout and channel order.</summary>
    private readonly ref struct TensorRowWriter(ImagePreprocessor owner, Span<float> destination) : IResampledRowSink
    {
        private readonly ImagePreprocessor _owner = owner;
        private readonly Span<float> _destination = destination;

        public void Row(int y, ReadOnlySpan<byte> red, ReadOnlySpan<byte> green, ReadOnlySpan<byte> blue)
        {
            var width = red.Length;
            var owner = _owner;
            if (owner.Settings.Layout == TensorLayout.Nchw)
            {
                var pixelCount = width * owner.Settings.Height;
                for (var channel = 0; channel < 3; channel++)
                {
                    var values = owner._sourceChannel[channel] switch { 0 => red, 1 => green, _ => blue };
                    owner.Normalise(channel, values, _destination.Slice(channel * pixelCount + y * width, width));
                }
            }
            else
            {
                // Channels last: interleaved floats, by table (TensorFlow-style exports; not the common path).
                ref var table = ref MemoryMarshal.GetArrayDataReference(owner._values);
                var row = _destination.Slice(y * width * 3, width * 3);
                for (var channel = 0; channel < 3; channel++)
                {
                    var values = owner._sourceChannel[channel] switch { 0 => red, 1 => green, _ => blue };
                    ref var lookup = ref Unsafe.Add(ref table, channel * 256);
                    for (var x = 0; x < width; x++) row[x * 3 + channel] = Unsafe.Add(ref lookup, values[x]);
                }
            }
        }
    }

    /// <summary>
    /// values → (value [/ 255] − mean) / std for one tensor channel. The vector paths (8 floats per instruction with AVX2,
    /// 4 with SSE or NEON) do torchvision's float32 operations in the same order (each correctly rounded, as IEEE division
    /// and subtraction are in every lane), so their bits are the table's; the table finishes the tail.
    /// </summary>
    private void Normalise(int channel, ReadOnlySpan<byte> values, Span<float> destination)
    {
        var x = 0;
        var unit = Settings.Scale == PixelScale.UnitInterval;
        if (Vector256.IsHardwareAccelerated) x = NormaliseVector256(values, destination, _mean[channel], _std[channel], unit, x);
        if (Vector128.IsHardwareAccelerated) x = NormaliseVector128(values, destination, _mean[channel], _std[channel], unit, x);
        NormaliseByTable(values, destination, _values.AsSpan(channel * 256, 256), x);
    }

    /// <summary>Values [<paramref name="from"/>, …), 32 per step in 256-bit vectors; returns the first one left undone.</summary>
    internal static int NormaliseVector256(ReadOnlySpan<byte> values, Span<float> destination, float meanValue, float stdValue, bool unit, int from)
    {
        ref var source = ref MemoryMarshal.GetReference(values);
        ref var target = ref MemoryMarshal.GetReference(destination);
        var mean = Vector256.Create(meanValue);
        var std = Vector256.Create(stdValue);
        var byteMax = Vector256.Create(255f);
        var x = from;
        for (; x <= values.Length - 32; x += 32)
        {
            var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref source, (nuint)x));
            var (a, b) = Vector256.Widen(low);
            var (c, d) = Vector256.Widen(high);
            Normalised(a, unit, byteMax, mean, std).StoreUnsafe(ref target, (nuint)x);
            Normalised(b, unit, byteMax, mean, std).StoreUnsafe(ref target, (nuint)(x + 8));
            Normalised(c, unit, byteMax, mean, std).StoreUnsafe(ref target, (nuint)(x + 16));
            Normalised(d, unit, byteMax, mean, std).StoreUnsafe(ref target, (nuint)(x + 24));
        }
        return x;
    }

    /// <summary><see cref="NormaliseVector256"/> 16 values per step, in 128-bit vectors.</summary>
    internal static int NormaliseVector128(ReadOnlySpan<byte> values, Span<float> destination, float meanValue, float stdValue, bool unit, int from)
    {
        ref var source = ref MemoryMarshal.GetReference(values);
        ref var target = ref MemoryMarshal.GetReference(destination);
        var mean = Vector128.Create(meanValue);
        var std = Vector128.Create(stdValue);
        var byteMax = Vector128.Create(255f);
        var x = from;
        for (; x <= values.Length - 16; x += 16)
        {
            var (low, high) = Vector128.Widen(Vector128.LoadUnsafe(ref source, (nuint)x));
            var (a, b) = Vector128.Widen(low);
            var (c, d) = Vector128.Widen(high);
            Normalised(a, unit, byteMax, mean, std).StoreUnsafe(ref target, (nuint)x);
            Normalised(b, unit, byteMax, mean, std).StoreUnsafe(ref target, (nuint)(x + 4));
            Normalised(c, unit, byteMax, mean, std).StoreUnsafe(ref target, (nuint)(x + 8));
            Normalised(d, unit, byteMax, mean, std).StoreUnsafe(ref target, (nuint)(x + 12));
        }
        return x;
    }

    /// <summary>Values [<paramref name="from"/>, end) by lookup in one channel's 256-entry table.</summary>
    internal static void NormaliseByTable(ReadOnlySpan<byte> values, Span<float> destination, ReadOnlySpan<float> table, int from)
    {
        for (var x = from; x < values.Length; x++) destination[x] = table[values[x]];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Normalised(Vector256<uint> bytes, bool unit, Vector256<float> byteMax, Vector256<float> mean, Vector256<float> std)
    {
        var value = Vector256.ConvertToSingle(bytes.AsInt32());
        if (unit) value /= byteMax; // ToTensor: img.float().div(255)
        return (value - mean) / std; // Normalize: sub_(mean).div_(std)
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Normalised(Vector128<uint> bytes, bool unit, Vector128<float> byteMax, Vector128<float> mean, Vector128<float> std)
    {
        var value = Vector128.ConvertToSingle(bytes.AsInt32());
        if (unit) value /= byteMax;
        return (value - mean) / std;
    }
}
