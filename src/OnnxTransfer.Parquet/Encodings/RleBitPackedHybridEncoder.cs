namespace OnnxTransfer.Parquet.Encodings;

/// <summary>
/// Encodes the RLE/bit-packed hybrid: runs of 8 or more equal values become RLE runs, everything else is bit-packed in
/// groups of 8 (one bit-packed run holds at most 63 groups so its header stays one byte). <see cref="WriteRepeated"/>
/// adds a long run in constant time, which is what the levels of fixed-size lists and non-null columns are.
/// </summary>
internal sealed class RleBitPackedHybridEncoder
{
    private const int MaxGroupsPerBitPackedRun = 63;
    private const int MaxRepeatCount = 1 << 30;

    private readonly ByteBuffer _output;
    private readonly int _bitWidth;
    private readonly int _valueBytes;
    private readonly int[] _buffered = new int[8];
    private int _bufferedCount;
    private int _previous;
    private int _repeatCount;
    private int _bitPackedGroups;
    private int _bitPackedHeaderPosition = -1;

    public RleBitPackedHybridEncoder(ByteBuffer output, int bitWidth)
    {
        if (bitWidth is < 0 or > 32) throw new ArgumentOutOfRangeException(nameof(bitWidth));
        _output = output;
        _bitWidth = bitWidth;
        _valueBytes = (bitWidth + 7) / 8;
    }

    public void Write(int value)
    {
        if (value == _previous)
        {
            _repeatCount++;
            if (_repeatCount >= 8)
            {
                // Values past the eighth are only counted; the first seven sit in the buffer and are dropped by the RLE run.
                if (_repeatCount >= MaxRepeatCount) WriteRleRun();
                return;
            }
        }
        else
        {
            if (_repeatCount >= 8) WriteRleRun();
            _repeatCount = 1;
            _previous = value;
        }
        _buffered[_bufferedCount++] = value;
        if (_bufferedCount == 8) WriteBitPackedGroup();
    }

    public void Write(ReadOnlySpan<int> values)
    {
        foreach (var value in values) Write(value);
    }

    public void Write(ReadOnlySpan<byte> values)
    {
        foreach (var value in values) Write(value);
    }

    /// <summary>Writes <paramref name="count"/> copies of <paramref name="value"/>.</summary>
    public void WriteRepeated(int value, long count)
    {
        while (count > 0 && !(_repeatCount >= 8 && _previous == value))
        {
            Write(value);
            count--;
        }
        while (count > 0)
        {
            var room = MaxRepeatCount - 1 - _repeatCount;
            var add = (int)Math.Min(count, room);
            _repeatCount += add;
            count -= add;
            if (count > 0)
            {
                WriteRleRun();
                // Restart a run of the same value so that the remaining copies extend it.
                while (count > 0 && _repeatCount < 8)
                {
                    Write(value);
                    count--;
                }
            }
        }
    }

    /// <summary>Flushes pending values (padding the last bit-packed group with zeros, which readers ignore).</summary>
    public void Finish()
    {
        if (_repeatCount >= 8)
        {
            WriteRleRun();
        }
        else if (_bufferedCount > 0)
        {
            for (var i = _bufferedCount; i < 8; i++) _buffered[i] = 0;
            _bufferedCount = 8;
            WriteBitPackedGroup();
        }
        EndBitPackedRun();
        _repeatCount = 0;
        _bufferedCount = 0;
    }

    private void WriteBitPackedGroup()
    {
        if (_bitPackedGroups >= MaxGroupsPerBitPackedRun) EndBitPackedRun();
        if (_bitPackedHeaderPosition < 0)
        {
            _bitPackedHeaderPosition = _output.Length;
            _output.WriteByte(0); // patched in EndBitPackedRun
        }
        BitPacking.Pack(_buffered, _bitWidth, _output.Reserve(_bitWidth));
        _bufferedCount = 0;
        _repeatCount = 0;
        _bitPackedGroups++;
    }

    private void EndBitPackedRun()
    {
        if (_bitPackedHeaderPosition < 0) return;
        _output.PatchByte(_bitPackedHeaderPosition, (byte)((_bitPackedGroups << 1) | 1));
        _bitPackedHeaderPosition = -1;
        _bitPackedGroups = 0;
    }

    private void WriteRleRun()
    {
        EndBitPackedRun();
        _output.WriteUleb128((ulong)_repeatCount << 1);
        var value = (uint)_previous;
        var bytes = _output.Reserve(_valueBytes);
        for (var i = 0; i < _valueBytes; i++) bytes[i] = (byte)(value >> (8 * i));
        _repeatCount = 0;
        _bufferedCount = 0;
    }
}
