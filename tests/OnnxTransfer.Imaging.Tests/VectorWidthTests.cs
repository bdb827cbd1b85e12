namespace OnnxTransfer.Imaging.Tests;

/// <summary>
/// The preprocessing kernels come in three widths: 256-bit vectors (AVX2, what the JIT uses here), 128-bit vectors (a
/// NativeAOT build for the baseline x64 instruction set, and arm64) and PIL's scalar loop. Each must give the scalar
/// bytes and floats exactly; the reference-tensor tests only reach the width of the machine they run on, so every width
/// is compared here directly, on PIL kernels of real resize ratios and on every byte value.
/// </summary>
public class VectorWidthTests
{
    public static IEnumerable<TestCaseData> VerticalPasses()
    {
        foreach (var (input, output) in new[] { (375, 256), (1200, 256), (256, 224), (100, 300), (2048, 171) })
        foreach (var filter in new[] { ResampleFilter.Bilinear, ResampleFilter.Bicubic, ResampleFilter.Lanczos })
        foreach (var columns in new[] { 224, 47, 15 })
            yield return new TestCaseData(input, output, filter, columns).SetArgDisplayNames($"{input}→{output} {filter} {columns} columns");
    }

    [TestCaseSource(nameof(VerticalPasses))]
    public void EveryWidthOfTheVerticalPassGivesPilsBytes(int input, int output, ResampleFilter filter, int columns)
    {
        var kernel = ResampleKernel.For(input, output, filter, 0, output);
        var random = new Random(input * 7 + output);
        var planes = new byte[input * columns];
        random.NextBytes(planes);
        // Extremes too: runs of 0 and 255 drive the sums past the clamp on both sides (negative lobes of bicubic, Lanczos).
        for (var i = 0; i < planes.Length; i += 97) planes.AsSpan(i, Math.Min(13, planes.Length - i)).Fill(i % 2 == 0 ? (byte)255 : (byte)0);

        for (var y = 0; y < output; y++)
        {
            var taps = planes.AsSpan(kernel.Start[y] * columns);
            var weights = kernel.Weights.AsSpan(y * kernel.Taps, kernel.Count[y]);
            var scalar = new byte[columns];
            PilResampler.ColumnsScalar(taps, columns, weights, scalar, 0);

            var wide = new byte[columns];
            var done = PilResampler.ColumnsVector256(taps, columns, weights, wide, 0);
            Assert.That(done, Is.EqualTo(columns / 32 * 32));
            PilResampler.ColumnsScalar(taps, columns, weights, wide, done);
            Assert.That(wide, Is.EqualTo(scalar), $"256-bit, output row {y}");

            var narrow = new byte[columns];
            done = PilResampler.ColumnsVector128(taps, columns, weights, narrow, 0);
            Assert.That(done, Is.EqualTo(columns / 16 * 16));
            PilResampler.ColumnsScalar(taps, columns, weights, narrow, done);
            Assert.That(narrow, Is.EqualTo(scalar), $"128-bit, output row {y}");

            var both = new byte[columns]; // what ResampleColumns does on an AVX2 machine: 32, then 16, then scalar
            done = PilResampler.ColumnsVector128(taps, columns, weights, both, PilResampler.ColumnsVector256(taps, columns, weights, both, 0));
            PilResampler.ColumnsScalar(taps, columns, weights, both, done);
            Assert.That(both, Is.EqualTo(scalar), $"256 then 128-bit, output row {y}");
        }
    }

    [TestCase(PixelScale.UnitInterval)]
    [TestCase(PixelScale.Byte)]
    public void EveryWidthOfTheNormalisationGivesTheTablesBits(PixelScale scale)
    {
        // Every byte value, 300 of them so that each width leaves a tail, under ImageNet's and other means and stds.
        var values = Enumerable.Range(0, 300).Select(i => (byte)(i * 37 % 256)).ToArray();
        foreach (var (mean, std) in new[] { (0.485f, 0.229f), (0.456f, 0.224f), (0.406f, 0.225f), (0.5f, 0.5f), (123.675f, 58.395f), (0f, 1f) })
        {
            var table = Enumerable.Range(0, 256).Select(v => ((scale == PixelScale.UnitInterval ? v / 255f : v) - mean) / std).ToArray();
            var expected = new float[values.Length];
            ImagePreprocessor.NormaliseByTable(values, expected, table, 0);

            var wide = new float[values.Length];
            ImagePreprocessor.NormaliseByTable(values, wide, table, ImagePreprocessor.NormaliseVector256(values, wide, mean, std, scale == PixelScale.UnitInterval, 0));
            var narrow = new float[values.Length];
            ImagePreprocessor.NormaliseByTable(values, narrow, table, ImagePreprocessor.NormaliseVector128(values, narrow, mean, std, scale == PixelScale.UnitInterval, 0));

            Assert.That(Bits(wide), Is.EqualTo(Bits(expected)), $"256-bit, mean {mean} std {std}");
            Assert.That(Bits(narrow), Is.EqualTo(Bits(expected)), $"128-bit, mean {mean} std {std}");
        }
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
