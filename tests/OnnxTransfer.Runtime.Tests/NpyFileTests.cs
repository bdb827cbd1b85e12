using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

public class NpyFileTests
{
    [Test]
    public void WriteThenReadRoundTripsAndPadsTheHeaderTo64Bytes()
    {
        using var temp = new TempDirectory();
        var cases = new[]
        {
            NpyArray.FromSpan<float>(TensorElementType.Float, [2, 3], [1f, -2f, 3.5f, 0f, float.MaxValue, 1e-7f]),
            NpyArray.FromSpan<long>(TensorElementType.Int64, [3], [long.MinValue, 0, 42]),
            NpyArray.FromSpan<bool>(TensorElementType.Bool, [2, 2], [true, false, true, true]),
            NpyArray.FromSpan<Half>(TensorElementType.Float16, [1, 2], [(Half)1.5f, (Half)(-0.25f)]),
            NpyArray.FromSpan<double>(TensorElementType.Double, [], [Math.PI]),
        };
        foreach (var array in cases)
        {
            var path = temp.File($"{array.ElementType}.npy");
            NpyFile.Write(path, array);
            var bytes = File.ReadAllBytes(path);
            Assert.That(bytes[..6], Is.EqualTo(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }), "NumPy magic");
            var headerLength = bytes[8] | bytes[9] << 8;
            Assert.That((10 + headerLength) % 64, Is.Zero, $"{array.ElementType}: data starts on a 64-byte boundary");
            Assert.That(bytes[10 + headerLength - 1], Is.EqualTo((byte)'\n'));

            var read = NpyFile.Read(path);
            Assert.That(read.ElementType, Is.EqualTo(array.ElementType));
            Assert.That(read.Shape, Is.EqualTo(array.Shape));
            Assert.That(read.Data, Is.EqualTo(array.Data));
        }
    }

    [Test]
    public void NumpyWrittenReferenceFilesReadAndRewriteByteForByte()
    {
        using var temp = new TempDirectory();
        foreach (var kind in new[] { "input", "logits", "features" })
        {
            var original = SharedData.ReferenceTensor(SharedData.ReferenceNames[0], kind);
            var array = NpyFile.Read(original);
            Assert.That(array.ElementType, Is.EqualTo(TensorElementType.Float));
            Assert.That(array.Shape[0], Is.EqualTo(1));
            var copy = temp.File(kind + ".npy");
            NpyFile.Write(copy, array);
            Assert.That(File.ReadAllBytes(copy), Is.EqualTo(File.ReadAllBytes(original)), $"{kind}: same bytes as np.save wrote");
        }
    }
}
