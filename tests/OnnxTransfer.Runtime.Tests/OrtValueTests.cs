using System.Runtime.InteropServices;
using OnnxTransfer.Runtime.Tests.Support;

namespace OnnxTransfer.Runtime.Tests;

/// <summary>Each element type crosses the native boundary intact: an Identity model returns exactly what went in.</summary>
public class OrtValueTests
{
    private static T[] RoundTrip<T>(TensorElementType type, T[] values) where T : unmanaged
    {
        using var session = new InferenceSession(TinyModels.Identity(type));
        Assert.That(session.Inputs[0].ElementType, Is.EqualTo(type));
        using var input = OrtValue.CreateTensor(type, new Memory<T>(values), [values.Length / 4, 4]);
        using var result = session.Run("x", input);
        var output = result["y"];
        Assert.That(output.ElementType, Is.EqualTo(type));
        Assert.That(output.Shape.ToArray(), Is.EqualTo(new long[] { values.Length / 4, 4 }));
        return output.GetTensorData<T>().ToArray();
    }

    [Test]
    public void FloatDoubleAndIntegersRoundTrip()
    {
        float[] floats = [0f, -1.5f, float.MaxValue, float.Epsilon, 3.25f, -0f, 1e-20f, 7f];
        Assert.That(RoundTrip(TensorElementType.Float, floats), Is.EqualTo(floats));
        double[] doubles = [Math.PI, -Math.E, double.MaxValue, 1e-300];
        Assert.That(RoundTrip(TensorElementType.Double, doubles), Is.EqualTo(doubles));
        long[] longs = [long.MinValue, -1, 0, long.MaxValue, 101, 30522, 2, 3];
        Assert.That(RoundTrip(TensorElementType.Int64, longs), Is.EqualTo(longs));
        int[] ints = [int.MinValue, -7, 0, int.MaxValue];
        Assert.That(RoundTrip(TensorElementType.Int32, ints), Is.EqualTo(ints));
        byte[] bytes = [0, 1, 127, 255];
        Assert.That(RoundTrip(TensorElementType.UInt8, bytes), Is.EqualTo(bytes));
        sbyte[] sbytes = [-128, -1, 0, 127];
        Assert.That(RoundTrip(TensorElementType.Int8, sbytes), Is.EqualTo(sbytes));
    }

    [Test]
    public void BoolAndFloat16RoundTrip()
    {
        bool[] flags = [true, false, false, true];
        Assert.That(RoundTrip(TensorElementType.Bool, flags), Is.EqualTo(flags));

        Half[] halves = [(Half)0.5f, (Half)(-2f), Half.MaxValue, Half.Epsilon];
        Assert.That(RoundTrip(TensorElementType.Float16, halves), Is.EqualTo(halves));

        // The same float16 values as raw bits in ushort, for code that keeps float16 as bits.
        var bits = halves.Select(BitConverter.HalfToUInt16Bits).ToArray();
        Assert.That(RoundTrip(TensorElementType.Float16, bits), Is.EqualTo(bits));
    }

    [Test]
    public void TensorOverNativeMemoryIsReadInPlace()
    {
        using var session = new InferenceSession(TinyModels.Identity(TensorElementType.Float));
        const int count = 8;
        unsafe
        {
            var buffer = (float*)NativeMemory.AlignedAlloc(count * sizeof(float), 64);
            try
            {
                for (int i = 0; i < count; i++) buffer[i] = i * 1.5f;
                using var input = OrtValue.CreateTensor(TensorElementType.Float, (nint)buffer, count * sizeof(float), [2, 4]);
                Assert.That(input.GetTensorData<float>()[3], Is.EqualTo(4.5f));
                buffer[3] = 99f; // the value views the native buffer itself
                using var result = session.Run("x", input);
                Assert.That(result[0].GetTensorData<float>().ToArray(), Is.EqualTo(new[] { 0f, 1.5f, 3f, 99f, 6f, 7.5f, 9f, 10.5f }));
            }
            finally
            {
                NativeMemory.AlignedFree(buffer);
            }
        }
    }

    [Test]
    public void ReadingAsTheWrongTypeIsRefused()
    {
        using var value = OrtValue.CreateTensor(new long[4], [4]);
        Assert.That(value.ElementType, Is.EqualTo(TensorElementType.Int64));
        var error = Assert.Throws<InvalidOperationException>(() => value.GetTensorData<float>());
        Assert.That(error!.Message, Does.Contain("int64").And.Contain("Single"));
        Assert.Throws<ArgumentException>(() => OrtValue.CreateTensor(TensorElementType.Float16, new Memory<float>(new float[4]), [4]));
    }
}
