namespace OnnxTransfer.Parquet.Encodings;

/// <summary>DELTA_BYTE_ARRAY: prefix lengths (delta), then suffixes (delta-length); each value extends the previous one's prefix.</summary>
internal static class DeltaByteArray
{
    public delegate void ValueSink(int index, ReadOnlySpan<byte> value);

    public static void Decode(ReadOnlySpan<byte> data, int count, ValueSink sink)
    {
        var prefixes = new long[count];
        var position = DeltaBinaryPackedDecoder.Decode(data, prefixes);
        var suffixLengths = new long[count];
        position += DeltaBinaryPackedDecoder.Decode(data[position..], suffixLengths);
        var previous = new ByteBuffer(256);
        var current = new ByteBuffer(256);
        for (var i = 0; i < count; i++)
        {
            var prefix = prefixes[i];
            var suffix = suffixLengths[i];
            if (prefix < 0 || prefix > previous.Length) throw new CorruptDataException($"a DELTA_BYTE_ARRAY prefix of {prefix} bytes is longer than the previous value");
            if (suffix < 0 || suffix > data.Length - position) throw new CorruptDataException($"a DELTA_BYTE_ARRAY suffix declares {suffix} bytes but {data.Length - position} remain");
            current.Clear();
            current.Write(previous.WrittenSpan[..(int)prefix]);
            current.Write(data.Slice(position, (int)suffix));
            position += (int)suffix;
            sink(i, current.WrittenSpan);
            (previous, current) = (current, previous);
        }
    }
}
