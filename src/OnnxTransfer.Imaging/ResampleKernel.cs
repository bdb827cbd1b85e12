using System.Collections.Concurrent;

namespace OnnxTransfer.Imaging;

/// <summary>
/// The fixed-point weights of one resampling direction (input length → output length), computed as PIL computes them
/// (<c>precompute_coeffs</c> + <c>normalize_coeffs_8bpc</c> in libImaging/Resample.c): a filter whose support grows
/// with the downscale factor (antialiasing), taps centred on <c>(x + 0.5) × scale</c>, weights normalised to sum 1 and
/// rounded to 22-bit fixed point. Immutable and cached, so images of the same size share them across threads.
/// </summary>
internal sealed class ResampleKernel
{
    /// <summary>Fractional bits of the weights: 32 − 8 (pixel) − 2 (headroom for negative lobes), as in PIL.</summary>
    internal const int PrecisionBits = 22;

    private const int CacheCapacity = 512;

    /// <summary>Longer outputs (a panorama's long side after Resize(256)) get a kernel for the used window only, uncached.</summary>
    private const int LongestCachedOutput = 4096;
    private static readonly ConcurrentDictionary<(int, int, ResampleFilter), ResampleKernel> Cache = new();

    private ResampleKernel(int firstOutput, int taps, int[] start, int[] count, int[] weights)
    {
        FirstOutput = firstOutput;
        Taps = taps;
        Start = start;
        Count = count;
        Weights = weights;
    }

    /// <summary>The output position the tables start at (0 unless this kernel covers a window only).</summary>
    internal int FirstOutput { get; }

    /// <summary>Weights reserved per output position (some trailing ones may be zero).</summary>
    internal int Taps { get; }

    /// <summary>First input index read by each output position (index: output − <see cref="FirstOutput"/>).</summary>
    internal int[] Start { get; }

    /// <summary>Number of input positions read by each output position.</summary>
    internal int[] Count { get; }

    /// <summary><see cref="Taps"/> weights per output position, fixed point with <see cref="PrecisionBits"/> fractional bits.</summary>
    internal int[] Weights { get; }

    /// <summary>A kernel covering at least outputs [<paramref name="windowStart"/>, + <paramref name="windowLength"/>).</summary>
    internal static ResampleKernel For(int inputLength, int outputLength, ResampleFilter filter, int windowStart, int windowLength)
    {
        if (outputLength > LongestCachedOutput)
            return Compute(inputLength, outputLength, filter, windowStart, windowLength);
        var key = (inputLength, outputLength, filter);
        if (Cache.TryGetValue(key, out var kernel)) return kernel;
        kernel = Compute(inputLength, outputLength, filter, 0, outputLength);
        // Datasets come in many sizes; a bounded cache keeps memory flat (recomputing costs microseconds).
        if (Cache.Count >= CacheCapacity) Cache.Clear();
        Cache.TryAdd(key, kernel);
        return kernel;
    }

    private static ResampleKernel Compute(int inputLength, int outputLength, ResampleFilter filter, int firstOutput, int count)
    {
        var support = filter switch
        {
            ResampleFilter.Box => 0.5,
            ResampleFilter.Bilinear or ResampleFilter.Hamming => 1.0,
            ResampleFilter.Bicubic => 2.0,
            _ => 3.0,
        };
        var scale = (double)inputLength / outputLength;
        var filterScale = Math.Max(scale, 1.0);
        support *= filterScale;
        var taps = (int)Math.Ceiling(support) * 2 + 1;

        var starts = new int[count];
        var counts = new int[count];
        var weights = new int[count * taps];
        Span<double> row = taps <= 256 ? stackalloc double[taps] : new double[taps];
        var inverseFilterScale = 1.0 / filterScale;
        for (var index = 0; index < count; index++)
        {
            var output = firstOutput + index;
            var center = (output + 0.5) * scale;
            // The casts truncate toward zero, like PIL's (int) casts; the +0.5 rounds.
            var first = Math.Max((int)(center - support + 0.5), 0);
            var last = Math.Min((int)(center + support + 0.5), inputLength);
            var n = last - first;
            var sum = 0.0;
            for (var x = 0; x < n; x++)
            {
                var w = Weight(filter, (x + first - center + 0.5) * inverseFilterScale);
                row[x] = w;
                sum += w;
            }
            var fixedPoint = weights.AsSpan(index * taps, taps);
            for (var x = 0; x < n; x++)
            {
                var w = sum != 0.0 ? row[x] / sum : row[x];
                fixedPoint[x] = w < 0 ? (int)(-0.5 + w * (1 << PrecisionBits)) : (int)(0.5 + w * (1 << PrecisionBits));
            }
            starts[index] = first;
            counts[index] = n;
        }
        return new ResampleKernel(firstOutput, taps, starts, counts, weights);
    }

    private static double Weight(ResampleFilter filter, double x) => filter switch
    {
        ResampleFilter.Box => x > -0.5 && x <= 0.5 ? 1.0 : 0.0,
        ResampleFilter.Bilinear => Triangle(x),
        ResampleFilter.Hamming => Hamming(x),
        ResampleFilter.Bicubic => Cubic(x),
        _ => x is >= -3.0 and < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0,
    };

    private static double Triangle(double x)
    {
        x = Math.Abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static double Hamming(double x)
    {
        x = Math.Abs(x);
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        // PIL writes these constants as C floats; their float values matter for bit-exact weights.
        return Math.Sin(x) / x * ((double)0.54f + (double)0.46f * Math.Cos(x));
    }

    private static double Cubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    private static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }
}
