using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OnnxTransfer.Parquet.Encodings;

/// <summary>
/// BYTE_STREAM_SPLIT: byte k of every value goes to stream k, and the K streams are concatenated. The 4-byte case (FLOAT,
/// the embeddings) is vectorised 16 values at a time with SSE2 byte/word interleaves; other widths use a scalar loop.
/// </summary>
internal static class ByteStreamSplit
{
    /// <summary>Splits <paramref name="values"/> (N values of <paramref name="width"/> bytes) into K=width streams.</summary>
    public static void Encode(ReadOnlySpan<byte> values, int width, Span<byte> destination)
    {
        var count = values.Length / width;
        if (destination.Length < values.Length) throw new ArgumentException("destination too small", nameof(destination));
        var start = 0;
        if (width == 4 && Ssse3.IsSupported) start = EncodeFloatsSse(values, count, destination);
        for (var i = start; i < count; i++)
            for (var k = 0; k < width; k++)
                destination[k * count + i] = values[i * width + k];
    }

    /// <summary>Joins the K=width streams in <paramref name="streams"/> back into N values of <paramref name="width"/> bytes.</summary>
    public static void Decode(ReadOnlySpan<byte> streams, int width, Span<byte> destination)
    {
        var count = streams.Length / width;
        if (destination.Length < streams.Length) throw new ArgumentException("destination too small", nameof(destination));
        var start = 0;
        if (width == 4 && Sse2.IsSupported) start = DecodeFloatsSse(streams, count, destination);
        for (var i = start; i < count; i++)
            for (var k = 0; k < width; k++)
                destination[i * width + k] = streams[k * count + i];
    }

    private static int DecodeFloatsSse(ReadOnlySpan<byte> streams, int count, Span<byte> destination)
    {
        ref var s = ref MemoryMarshal.GetReference(streams);
        ref var d = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        for (; i + 16 <= count; i += 16)
        {
            var s0 = Vector128.LoadUnsafe(ref s, (nuint)i);
            var s1 = Vector128.LoadUnsafe(ref s, (nuint)(count + i));
            var s2 = Vector128.LoadUnsafe(ref s, (nuint)(2 * count + i));
            var s3 = Vector128.LoadUnsafe(ref s, (nuint)(3 * count + i));
            var low01 = Sse2.UnpackLow(s0, s1).AsUInt16();   // bytes 0,1 of values 0..7
            var high01 = Sse2.UnpackHigh(s0, s1).AsUInt16(); // bytes 0,1 of values 8..15
            var low23 = Sse2.UnpackLow(s2, s3).AsUInt16();
            var high23 = Sse2.UnpackHigh(s2, s3).AsUInt16();
            ref var o = ref Unsafe.Add(ref d, i * 4);
            Sse2.UnpackLow(low01, low23).AsByte().StoreUnsafe(ref o);
            Sse2.UnpackHigh(low01, low23).AsByte().StoreUnsafe(ref o, 16);
            Sse2.UnpackLow(high01, high23).AsByte().StoreUnsafe(ref o, 32);
            Sse2.UnpackHigh(high01, high23).AsByte().StoreUnsafe(ref o, 48);
        }
        return i;
    }

    private static int EncodeFloatsSse(ReadOnlySpan<byte> values, int count, Span<byte> destination)
    {
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var d = ref MemoryMarshal.GetReference(destination);
        // Groups byte k of the four values of one vector into 32-bit lane k.
        var gather = Vector128.Create((byte)0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
        var i = 0;
        for (; i + 16 <= count; i += 16)
        {
            ref var input = ref Unsafe.Add(ref v, i * 4);
            var t0 = Ssse3.Shuffle(Vector128.LoadUnsafe(ref input), gather).AsUInt32();
            var t1 = Ssse3.Shuffle(Vector128.LoadUnsafe(ref input, 16), gather).AsUInt32();
            var t2 = Ssse3.Shuffle(Vector128.LoadUnsafe(ref input, 32), gather).AsUInt32();
            var t3 = Ssse3.Shuffle(Vector128.LoadUnsafe(ref input, 48), gather).AsUInt32();
            var u0 = Sse2.UnpackLow(t0, t1).AsUInt64();
            var u1 = Sse2.UnpackHigh(t0, t1).AsUInt64();
            var u2 = Sse2.UnpackLow(t2, t3).AsUInt64();
            var u3 = Sse2.UnpackHigh(t2, t3).AsUInt64();
            Sse2.UnpackLow(u0, u2).AsByte().StoreUnsafe(ref d, (nuint)i);
            Sse2.UnpackHigh(u0, u2).AsByte().StoreUnsafe(ref d, (nuint)(count + i));
            Sse2.UnpackLow(u1, u3).AsByte().StoreUnsafe(ref d, (nuint)(2 * count + i));
            Sse2.UnpackHigh(u1, u3).AsByte().StoreUnsafe(ref d, (nuint)(3 * count + i));
        }
        return i;
    }
}
