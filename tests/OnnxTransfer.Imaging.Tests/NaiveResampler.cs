namespace OnnxTransfer.Imaging.Tests;

/// <summary>
/// A deliberately plain reimplementation, for cross-checking the optimised one: torchvision's geometry written as its
/// Python reads, whole-image separable resampling (8-bit rounding between the passes), then crop and pad. No windows,
/// no vectors, no caches, no skipped work. It shares only PIL's arithmetic contract: weights rounded to 22-bit fixed
/// point and sums rounded half up; without that, exact ties (weights like 0.75/0.25 are common) would round either way.
/// </summary>
internal static class NaiveResampler
{
    internal static byte[] Preprocess(byte[] rgb, int width, int height, PreprocessSettings settings)
    {
        int outW = settings.Width, outH = settings.Height;
        int newW, newH, left, top;
        switch (settings.Mode)
        {
            case ResizeMode.Stretch:
                (newW, newH, left, top) = (outW, outH, 0, 0);
                break;
            case ResizeMode.Letterbox:
                var r = Math.Min(outW / (double)width, outH / (double)height);
                newW = Math.Clamp((int)Math.Round(width * r), 1, outW);
                newH = Math.Clamp((int)Math.Round(height * r), 1, outH);
                left = -((outW - newW) / 2);
                top = -((outH - newH) / 2);
                break;
            default:
                // new_short, new_long = size, int(size * long / short)
                var s = settings.ResizeShorterSide;
                if (width <= height) { newW = s; newH = (int)(s * (double)height / width); }
                else { newH = s; newW = (int)(s * (double)width / height); }
                left = CropOffset(newW, outW);
                top = CropOffset(newH, outH);
                break;
        }

        var resized = Resize(rgb, width, height, newW, newH, settings.Filter);
        var output = new byte[outW * outH * 3];
        byte[] pad = [settings.PadColor.R, settings.PadColor.G, settings.PadColor.B];
        for (var y = 0; y < outH; y++)
        for (var x = 0; x < outW; x++)
        for (var c = 0; c < 3; c++)
        {
            int sx = x + left, sy = y + top;
            output[(y * outW + x) * 3 + c] = sx >= 0 && sy >= 0 && sx < newW && sy < newH ? resized[(sy * newW + sx) * 3 + c] : pad[c];
        }
        return output;
    }

    /// <summary>int(round((size - crop) / 2.0)), after padding by (crop - size) // 2 when the crop is larger.</summary>
    private static int CropOffset(int size, int crop) => crop > size ? -((crop - size) / 2) : (int)Math.Round((size - crop) / 2.0);

    private static byte[] Resize(byte[] rgb, int width, int height, int newW, int newH, ResampleFilter filter)
    {
        var temp = newW == width ? rgb : new byte[newW * height * 3];
        if (newW != width)
            for (var y = 0; y < height; y++)
            for (var x = 0; x < newW; x++)
            {
                var (first, weights) = Taps(width, newW, x, filter);
                for (var c = 0; c < 3; c++)
                {
                    long sum = 0;
                    for (var t = 0; t < weights.Length; t++) sum += weights[t] * rgb[(y * width + first + t) * 3 + c];
                    temp[(y * newW + x) * 3 + c] = ToByte(sum);
                }
            }
        if (newH == height) return temp;
        var output = new byte[newW * newH * 3];
        for (var y = 0; y < newH; y++)
        {
            var (first, weights) = Taps(height, newH, y, filter);
            for (var x = 0; x < newW; x++)
            for (var c = 0; c < 3; c++)
            {
                long sum = 0;
                for (var t = 0; t < weights.Length; t++) sum += weights[t] * temp[((first + t) * newW + x) * 3 + c];
                output[(y * newW + x) * 3 + c] = ToByte(sum);
            }
        }
        return output;
    }

    private const int Bits = 22;

    private static byte ToByte(long fixedPoint) => (byte)Math.Clamp((fixedPoint + (1L << (Bits - 1))) >> Bits, 0, 255);

    /// <summary>The input positions and normalised weights of output position <paramref name="i"/>.</summary>
    private static (int First, long[] Weights) Taps(int inSize, int outSize, int i, ResampleFilter filter)
    {
        var scale = inSize / (double)outSize;
        var stretch = Math.Max(1.0, scale);
        var support = SupportOf(filter) * stretch;
        var center = (i + 0.5) * scale;
        var first = Math.Max(0, (int)(center - support + 0.5));
        var end = Math.Min(inSize, (int)(center + support + 0.5));
        var weights = new double[end - first];
        for (var t = 0; t < weights.Length; t++) weights[t] = Kernel(filter, (first + t + 0.5 - center) / stretch);
        var total = weights.Sum();
        if (total != 0) for (var t = 0; t < weights.Length; t++) weights[t] /= total;
        return (first, weights.Select(w => (long)Math.Round(w * (1 << Bits), MidpointRounding.AwayFromZero)).ToArray());
    }

    private static double SupportOf(ResampleFilter filter) => filter switch
    {
        ResampleFilter.Box => 0.5,
        ResampleFilter.Bilinear or ResampleFilter.Hamming => 1,
        ResampleFilter.Bicubic => 2,
        _ => 3,
    };

    private static double Kernel(ResampleFilter filter, double x)
    {
        var a = Math.Abs(x);
        switch (filter)
        {
            case ResampleFilter.Box: return x > -0.5 && x <= 0.5 ? 1 : 0;
            case ResampleFilter.Bilinear: return Math.Max(0, 1 - a);
            case ResampleFilter.Hamming: return a == 0 ? 1 : a >= 1 ? 0 : Math.Sin(Math.PI * a) / (Math.PI * a) * (0.54f + 0.46f * Math.Cos(Math.PI * a)) /* PIL: float constants */;
            case ResampleFilter.Bicubic: return a < 1 ? (1.5 * a - 2.5) * a * a + 1 : a < 2 ? ((-0.5 * a + 2.5) * a - 4) * a + 2 : 0;
            default: return a < 3 ? Sinc(x) * Sinc(x / 3) : 0;
        }
    }

    private static double Sinc(double x) => x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);
}
