namespace OnnxTransfer.Parquet.Encodings;

/// <summary>
/// Decodes the RLE/bit-packed hybrid (levels, dictionary indices, RLE booleans) run by run, so that callers can treat a
/// long repeated run as one (value, count) pair instead of materialising it: the fixed-size list fast path checks
/// millions of levels this way in a few steps.
/// </summary>
internal ref struct RleBitPackedHybridDecoder
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _bitWidth;
    private readonly int _valueBytes;
    private int _position;
    private int _repeatRemaining;
    private int _repeatValue;
    private int _packedRemaining;
    private int _packedOffset;     // values already taken from the current bit-packed run
    private int _packedStart;      // byte offset of the current bit-packed run's data
    private int _packedAvailable;  // values the bytes actually present in the run can hold

    public RleBitPackedHybridDecoder(ReadOnlySpan<byte> data, int bitWidth)
    {
        if (bitWidth is < 0 or > 32) throw new CorruptDataException($"RLE bit width {bitWidth} is outside 0..32");
        _data = data;
        _bitWidth = bitWidth;
        _valueBytes = (bitWidth + 7) / 8;
        _position = 0;
        _repeatRemaining = 0;
        _repeatValue = 0;
        _packedRemaining = 0;
        _packedOffset = 0;
        _packedStart = 0;
        _packedAvailable = 0;
    }

    /// <summary>Bytes consumed so far (the end of the last run started).</summary>
    public readonly int Position => _position;

    /// <summary>
    /// Returns up to <paramref name="maxCount"/> next values. Either a repeated run (<paramref name="repeated"/> true:
    /// the count copies of <paramref name="value"/>; <paramref name="scratch"/> untouched) or literal values written to
    /// <paramref name="scratch"/> (at most its length). Returns 0 only when the data is exhausted.
    /// </summary>
    public int Next(int maxCount, scoped Span<int> scratch, out bool repeated, out int value)
    {
        repeated = false;
        value = 0;
        if (maxCount <= 0) return 0;
        if (_repeatRemaining == 0 && _packedRemaining == 0 && !StartRun()) return 0;

        if (_repeatRemaining > 0)
        {
            var count = Math.Min(maxCount, _repeatRemaining);
            _repeatRemaining -= count;
            repeated = true;
            value = _repeatValue;
            return count;
        }

        var take = Math.Min(Math.Min(maxCount, scratch.Length), _packedRemaining);
        if (_packedOffset + take > _packedAvailable)
            throw new CorruptDataException("a bit-packed run ends before the values it declares");
        UnpackFrom(_packedOffset, scratch[..take]);
        _packedOffset += take;
        _packedRemaining -= take;
        return take;
    }

    /// <summary>
    /// For bit width 1: when the next values are a byte-aligned stretch of a bit-packed run, hands out up to
    /// <paramref name="maxCount"/> of them as raw bits (value i is bit i%8 of byte i/8) so a caller can scan 64 levels at a
    /// time. Returns false, consuming nothing, when the next values are a repeated run or not byte-aligned; use
    /// <see cref="Next"/> then.
    /// </summary>
    public bool TryTakeBits(int maxCount, out ReadOnlySpan<byte> bits, out int count)
    {
        bits = default;
        count = 0;
        if (_bitWidth != 1 || maxCount <= 0) return false;
        if (_repeatRemaining == 0 && _packedRemaining == 0 && !StartRun()) return false;
        if (_packedRemaining == 0 || (_packedOffset & 7) != 0) return false;
        count = Math.Min(maxCount, _packedRemaining);
        if (_packedOffset + count > _packedAvailable) throw new CorruptDataException("a bit-packed run ends before the values it declares");
        bits = _data.Slice(_packedStart + _packedOffset / 8, (count + 7) / 8);
        _packedOffset += count;
        _packedRemaining -= count;
        return true;
    }

    /// <summary>Decodes exactly <c>destination.Length</c> values; fails if the data holds fewer.</summary>
    public void Decode(Span<int> destination)
    {
        var filled = 0;
        while (filled < destination.Length)
        {
            var count = Next(destination.Length - filled, destination[filled..], out var repeated, out var value);
            if (count == 0) throw new CorruptDataException($"RLE data holds {filled} values where {destination.Length} are needed");
            if (repeated) destination.Slice(filled, count).Fill(value);
            filled += count;
        }
    }

    /// <summary>Decodes exactly <c>destination.Length</c> small values (levels) and checks each is at most <paramref name="maxValue"/>.</summary>
    public void DecodeLevels(Span<byte> destination, int maxValue)
    {
        Span<int> scratch = stackalloc int[256];
        var filled = 0;
        while (filled < destination.Length)
        {
            var count = Next(destination.Length - filled, scratch, out var repeated, out var value);
            if (count == 0) throw new CorruptDataException($"level data holds {filled} levels where {destination.Length} are needed");
            if (repeated)
            {
                if ((uint)value > (uint)maxValue) throw new CorruptDataException($"level {value} exceeds the column's maximum {maxValue}");
                destination.Slice(filled, count).Fill((byte)value);
            }
            else
            {
                for (var i = 0; i < count; i++)
                {
                    var level = scratch[i];
                    if ((uint)level > (uint)maxValue) throw new CorruptDataException($"level {level} exceeds the column's maximum {maxValue}");
                    destination[filled + i] = (byte)level;
                }
            }
            filled += count;
        }
    }

    private bool StartRun()
    {
        if (_position >= _data.Length) return false;
        var header = ReadUleb128();
        if ((header & 1) == 0)
        {
            var count = header >> 1;
            if (count == 0 || count > int.MaxValue) throw new CorruptDataException($"an RLE run declares {count} values");
            if (_position + _valueBytes > _data.Length) throw new CorruptDataException("an RLE run ends before its value");
            uint repeated = 0;
            for (var i = 0; i < _valueBytes; i++) repeated |= (uint)_data[_position + i] << (8 * i);
            _position += _valueBytes;
            if (_bitWidth < 32 && repeated >> _bitWidth != 0) throw new CorruptDataException($"an RLE run value {repeated} does not fit in {_bitWidth} bits");
            _repeatValue = (int)repeated;
            _repeatRemaining = (int)count;
        }
        else
        {
            var groups = header >> 1;
            if (groups == 0 || groups > int.MaxValue / 8) throw new CorruptDataException($"a bit-packed run declares {groups} groups of 8 values");
            var values = (int)groups * 8;
            var bytes = BitPacking.ByteCount(values, _bitWidth);
            var present = _data.Length - _position;
            // The last run of a page may be cut short by writers that do not pad; only values actually present are readable.
            _packedStart = _position;
            _packedAvailable = bytes <= present ? values : (int)(present * 8L / Math.Max(1, _bitWidth));
            if (_bitWidth == 0) _packedAvailable = values;
            _position += (int)Math.Min(bytes, present);
            _packedRemaining = values;
            _packedOffset = 0;
        }
        return true;
    }

    private readonly void UnpackFrom(int valueOffset, Span<int> destination)
    {
        if (_bitWidth == 0)
        {
            destination.Clear();
            return;
        }
        // Bit-packed runs are whole groups of 8; unpack from the group containing valueOffset.
        var group = valueOffset / 8;
        var skip = valueOffset - group * 8;
        var byteStart = _packedStart + group * _bitWidth;
        if (skip == 0)
        {
            BitPacking.Unpack(_data[byteStart..], _bitWidth, destination);
            return;
        }
        Span<int> head = stackalloc int[8];
        var fromHead = Math.Min(8 - skip, destination.Length);
        BitPacking.Unpack(_data[byteStart..], _bitWidth, head[..(skip + fromHead)]);
        head.Slice(skip, fromHead).CopyTo(destination);
        if (fromHead < destination.Length)
            BitPacking.Unpack(_data[(byteStart + _bitWidth)..], _bitWidth, destination[fromHead..]);
    }

    private ulong ReadUleb128()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length) throw new CorruptDataException("RLE data ends inside a run header");
            var b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new CorruptDataException("an RLE run header is longer than a 64-bit varint");
    }
}
