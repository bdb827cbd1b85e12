using System.Buffers;
using System.Buffers.Binary;
using OnnxTransfer.Parquet.Compression;
using OnnxTransfer.Parquet.Encodings;
using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Schema;
using OnnxTransfer.Parquet.Thrift;

namespace OnnxTransfer.Parquet.Reading;

/// <summary>One data page, decompressed and split into its level and value sections. Valid until the next page is read.</summary>
internal readonly ref struct DataPageView
{
    public required int NumValues { get; init; }
    public required ParquetEncoding ValueEncoding { get; init; }
    public required ReadOnlySpan<byte> RepetitionLevels { get; init; }
    public required ParquetEncoding RepetitionLevelEncoding { get; init; }
    public required ReadOnlySpan<byte> DefinitionLevels { get; init; }
    public required ParquetEncoding DefinitionLevelEncoding { get; init; }
    public required ReadOnlySpan<byte> Values { get; init; }

    /// <summary>
    /// When positive, the values were left in the file (an uncompressed page larger than the read window, for a caller
    /// that asked for <see cref="ColumnChunkReader.DeferLargeValues"/>): <see cref="Values"/> is empty and the values are
    /// the <see cref="DeferredValuesLength"/> bytes at file offset <see cref="DeferredValuesOffset"/>.
    /// </summary>
    public int DeferredValuesLength { get; init; }

    public long DeferredValuesOffset { get; init; }
}

/// <summary>The dictionary of a column chunk: PLAIN-encoded entries, decoded into typed values by the value decoder.</summary>
internal sealed class DictionaryPage(byte[] data, int count)
{
    public byte[] Data { get; } = data;
    public int Count { get; } = count;
}

/// <summary>
/// Walks the pages of one column chunk: checks each header against the chunk's bounds and the reader's limits,
/// decompresses, keeps the dictionary page, skips index pages, and hands out data pages as <see cref="DataPageView"/>.
/// Reads the file through a window of about a megabyte, so small pages cost one read between them.
/// </summary>
internal sealed class ColumnChunkReader : IDisposable
{
    private const int WindowSize = 1 << 20;
    private const int FirstHeaderProbe = 16 * 1024;

    private readonly FileSource _file;
    private readonly ColumnDescriptor _column;
    private readonly ParquetCompressionCodec _codec;
    private readonly long _maxBufferBytes;
    private readonly bool _verifyChecksums;
    private readonly long _chunkEnd;
    private long _position;
    private byte[] _window = [];
    private long _windowStart;
    private int _windowLength;
    private byte[] _decompressed = [];
    private bool _sawDataPage;

    public ColumnChunkReader(FileSource file, ColumnDescriptor column, ColumnMetaData meta, long dataEnd, ParquetReaderOptions options)
    {
        _file = file;
        _column = column;
        _codec = meta.Codec;
        _maxBufferBytes = options.MaxBufferBytes;
        _verifyChecksums = options.VerifyPageChecksums;
        if (!PageCompression.IsSupported(meta.Codec))
            throw new CorruptDataException($"compression codec {meta.Codec} is not supported (supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD)");
        // Some writers set dictionary_page_offset to 0 meaning "none"; a dictionary always precedes the data pages.
        var start = meta.DictionaryPageOffset is { } dictionary && dictionary > 0 && dictionary < meta.DataPageOffset ? dictionary : meta.DataPageOffset;
        if (start < 4 || meta.TotalCompressedSize <= 0 || start > dataEnd || meta.TotalCompressedSize > dataEnd - start)
            throw new CorruptDataException(
                $"the column chunk's byte range (offset {start}, {meta.TotalCompressedSize} bytes) is not inside the file's data (4..{dataEnd})");
        _position = start;
        _chunkEnd = start + meta.TotalCompressedSize;
        NumValues = meta.NumValues;
    }

    /// <summary>Level entries the chunk metadata declares.</summary>
    public long NumValues { get; }

    /// <summary>
    /// Leave the values of large uncompressed pages in the file (see <see cref="DataPageView.DeferredValuesLength"/>), so
    /// that a caller can read them straight into its own buffer with <see cref="ReadDeferredValues"/> instead of through
    /// the read window: one copy instead of two for the big pages some writers produce.
    /// </summary>
    public bool DeferLargeValues { get; set; }

    public DictionaryPage? Dictionary { get; private set; }

    /// <summary>Reads up to the next data page; false at the end of the chunk.</summary>
    public bool ReadNextDataPage(out DataPageView page)
    {
        while (_position < _chunkEnd)
        {
            var header = ReadPageHeader(out var headerLength);
            var bodyStart = _position + headerLength;
            if (header.CompressedPageSize > _chunkEnd - bodyStart)
                throw new CorruptDataException($"a page at offset {_position} declares {header.CompressedPageSize} bytes, past the end of its column chunk");
            var checksummed = header.Crc is not null && _verifyChecksums && header.Type != PageType.IndexPage;
            if (checksummed && Crc32.Compute(Window(bodyStart, header.CompressedPageSize)) != unchecked((uint)header.Crc!.Value))
                throw new CorruptDataException($"the page at offset {_position} fails its CRC-32 checksum: its bytes are corrupted");
            // A checksummed page is already in the window; otherwise a big uncompressed page may stay in the file.
            var defer = DeferLargeValues && !checksummed && _codec == ParquetCompressionCodec.Uncompressed
                && bodyStart + header.CompressedPageSize > _windowStart + _windowLength;
            _position = bodyStart + header.CompressedPageSize;
            switch (header.Type)
            {
                case PageType.DictionaryPage:
                    ReadDictionaryPage(header, bodyStart);
                    continue;
                case PageType.IndexPage:
                    continue;
                case PageType.DataPage:
                    _sawDataPage = true;
                    page = defer ? DeferDataPageV1(header, bodyStart) : ReadDataPageV1(header, bodyStart);
                    return true;
                case PageType.DataPageV2:
                    _sawDataPage = true;
                    page = defer ? DeferDataPageV2(header, bodyStart) : ReadDataPageV2(header, bodyStart);
                    return true;
                default:
                    throw new CorruptDataException($"page type {(int)header.Type} is unknown");
            }
        }
        page = default;
        return false;
    }

    private PageHeader ReadPageHeader(out int headerLength)
    {
        var remaining = _chunkEnd - _position;
        var probe = (int)Math.Min(remaining, FirstHeaderProbe);
        while (true)
        {
            try
            {
                return ParseHeader(Window(_position, probe), out headerLength);
            }
            catch (TruncatedMetadataException) when (remaining > probe)
            {
                // A header carrying large statistics can be longer than the probe: look again at more of the chunk.
                probe = (int)Math.Min(remaining, (long)probe * 16);
            }
        }
    }

    private static PageHeader ParseHeader(ReadOnlySpan<byte> bytes, out int headerLength)
    {
        var reader = new CompactProtocolReader(bytes);
        var header = PageHeader.Read(ref reader);
        headerLength = reader.Position;
        return header;
    }

    private void ReadDictionaryPage(PageHeader header, long bodyStart)
    {
        if (_sawDataPage) throw new CorruptDataException("a dictionary page follows a data page");
        if (Dictionary is not null) throw new CorruptDataException("the column chunk has two dictionary pages");
        var info = header.DictionaryPage ?? throw new CorruptDataException("a dictionary page has no dictionary page header");
        if (info.Encoding is not (ParquetEncoding.Plain or ParquetEncoding.PlainDictionary))
            throw new CorruptDataException($"dictionary page encoding {info.Encoding} is not PLAIN");
        var body = Decompress(Window(bodyStart, header.CompressedPageSize), header.UncompressedPageSize);
        Dictionary = new DictionaryPage(body.ToArray(), info.NumValues);
    }

    private DataPageView ReadDataPageV1(PageHeader header, long bodyStart)
    {
        var info = header.DataPage ?? throw new CorruptDataException("a data page has no data page header");
        var body = Decompress(Window(bodyStart, header.CompressedPageSize), header.UncompressedPageSize);
        var offset = 0;
        var repetition = ReadOnlySpan<byte>.Empty;
        var definition = ReadOnlySpan<byte>.Empty;
        if (_column.MaxRepetitionLevel > 0)
            repetition = SplitV1Levels(body, ref offset, info.RepetitionLevelEncoding, info.NumValues, _column.MaxRepetitionLevel, "repetition");
        if (_column.MaxDefinitionLevel > 0)
            definition = SplitV1Levels(body, ref offset, info.DefinitionLevelEncoding, info.NumValues, _column.MaxDefinitionLevel, "definition");
        return new DataPageView
        {
            NumValues = info.NumValues,
            ValueEncoding = info.Encoding,
            RepetitionLevels = repetition,
            RepetitionLevelEncoding = info.RepetitionLevelEncoding,
            DefinitionLevels = definition,
            DefinitionLevelEncoding = info.DefinitionLevelEncoding,
            Values = body[offset..],
        };
    }

    /// <summary>
    /// A v1 page whose values stay in the file: only the level sections are read (their lengths first, then both in
    /// one window, so the spans stay valid until the caller has used them).
    /// </summary>
    private DataPageView DeferDataPageV1(PageHeader header, long bodyStart)
    {
        var info = header.DataPage ?? throw new CorruptDataException("a data page has no data page header");
        if (header.UncompressedPageSize != header.CompressedPageSize)
            throw new CorruptDataException($"an uncompressed page is {header.CompressedPageSize} bytes but its header says {header.UncompressedPageSize}");
        var bodyLength = header.CompressedPageSize;
        long levelBytes = 0;
        if (_column.MaxRepetitionLevel > 0) levelBytes += LevelSectionLength(bodyStart + levelBytes, bodyLength - levelBytes, info.RepetitionLevelEncoding, info.NumValues, _column.MaxRepetitionLevel);
        if (_column.MaxDefinitionLevel > 0) levelBytes += LevelSectionLength(bodyStart + levelBytes, bodyLength - levelBytes, info.DefinitionLevelEncoding, info.NumValues, _column.MaxDefinitionLevel);
        var levels = Window(bodyStart, (int)levelBytes);
        var offset = 0;
        var repetition = _column.MaxRepetitionLevel > 0
            ? SplitV1Levels(levels, ref offset, info.RepetitionLevelEncoding, info.NumValues, _column.MaxRepetitionLevel, "repetition") : default;
        var definition = _column.MaxDefinitionLevel > 0
            ? SplitV1Levels(levels, ref offset, info.DefinitionLevelEncoding, info.NumValues, _column.MaxDefinitionLevel, "definition") : default;
        return new DataPageView
        {
            NumValues = info.NumValues,
            ValueEncoding = info.Encoding,
            RepetitionLevels = repetition,
            RepetitionLevelEncoding = info.RepetitionLevelEncoding,
            DefinitionLevels = definition,
            DefinitionLevelEncoding = info.DefinitionLevelEncoding,
            Values = default,
            DeferredValuesOffset = bodyStart + levelBytes,
            DeferredValuesLength = bodyLength - (int)levelBytes,
        };
    }

    /// <summary>The bytes a v1 level section takes (with its length prefix), read from the file without keeping them.</summary>
    private int LevelSectionLength(long position, long available, ParquetEncoding encoding, int count, int maxLevel)
    {
        long length;
        if (encoding == ParquetEncoding.Rle)
        {
            if (available < 4) throw new CorruptDataException("a data page ends before its levels' length");
            length = 4L + BinaryPrimitives.ReadInt32LittleEndian(Window(position, 4));
            if (length < 4) throw new CorruptDataException($"the levels declare a negative length {length - 4}");
        }
        else if (encoding == ParquetEncoding.BitPacked)
        {
            length = BitPacking.ByteCount(count, BitPacking.BitWidthOf(maxLevel));
        }
        else
        {
            throw new CorruptDataException($"level encoding {encoding} is not RLE or BIT_PACKED");
        }
        if (length > available) throw new CorruptDataException($"the levels declare {length} bytes but the page has {available} left");
        return (int)length;
    }

    /// <summary>A v2 page whose (uncompressed) values stay in the file.</summary>
    private DataPageView DeferDataPageV2(PageHeader header, long bodyStart)
    {
        var info = header.DataPageV2 ?? throw new CorruptDataException("a data page v2 has no data page v2 header");
        var levelBytes = (long)info.RepetitionLevelsByteLength + info.DefinitionLevelsByteLength;
        if (levelBytes > header.CompressedPageSize || header.UncompressedPageSize != header.CompressedPageSize)
            throw new CorruptDataException($"a data page v2 declares {levelBytes} level bytes and {header.UncompressedPageSize} uncompressed bytes in a {header.CompressedPageSize}-byte page");
        var levels = Window(bodyStart, (int)levelBytes);
        return new DataPageView
        {
            NumValues = info.NumValues,
            ValueEncoding = info.Encoding,
            RepetitionLevels = _column.MaxRepetitionLevel > 0 ? levels[..info.RepetitionLevelsByteLength] : default,
            RepetitionLevelEncoding = ParquetEncoding.Rle,
            DefinitionLevels = _column.MaxDefinitionLevel > 0 ? levels.Slice(info.RepetitionLevelsByteLength, info.DefinitionLevelsByteLength) : default,
            DefinitionLevelEncoding = ParquetEncoding.Rle,
            Values = default,
            DeferredValuesOffset = bodyStart + levelBytes,
            DeferredValuesLength = header.CompressedPageSize - (int)levelBytes,
        };
    }

    /// <summary>
    /// Copies deferred values into <paramref name="destination"/>: the part the read window already holds, then the rest
    /// straight from the file. Leaves the window as it is, so the page's level spans stay valid.
    /// </summary>
    public void ReadDeferredValues(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > _chunkEnd)
            throw new CorruptDataException($"a read of {destination.Length} bytes at offset {offset} runs past the column chunk");
        if (offset >= _windowStart && offset < _windowStart + _windowLength)
        {
            var overlap = (int)Math.Min(destination.Length, _windowStart + _windowLength - offset);
            _window.AsSpan((int)(offset - _windowStart), overlap).CopyTo(destination);
            offset += overlap;
            destination = destination[overlap..];
        }
        if (!destination.IsEmpty) _file.ReadExactly(offset, destination);
    }

    /// <summary>Brings deferred values into the read window (for encodings that need decoding); the level spans become invalid.</summary>
    public ReadOnlySpan<byte> LoadDeferredValues(long offset, int length) => Window(offset, length);

    private static ReadOnlySpan<byte> SplitV1Levels(ReadOnlySpan<byte> body, scoped ref int offset, ParquetEncoding encoding, int count, int maxLevel, string kind)
    {
        int length;
        switch (encoding)
        {
            case ParquetEncoding.Rle:
                if (body.Length - offset < 4) throw new CorruptDataException($"a data page ends before its {kind} levels' length");
                length = BinaryPrimitives.ReadInt32LittleEndian(body[offset..]);
                offset += 4;
                break;
            case ParquetEncoding.BitPacked:
                var bytes = BitPacking.ByteCount(count, BitPacking.BitWidthOf(maxLevel));
                length = bytes > int.MaxValue ? -1 : (int)bytes;
                break;
            default:
                throw new CorruptDataException($"{kind} level encoding {encoding} is not RLE or BIT_PACKED");
        }
        if (length < 0 || length > body.Length - offset)
            throw new CorruptDataException($"the {kind} levels declare {length} bytes but the page has {body.Length - offset} left");
        var levels = body.Slice(offset, length);
        offset += length;
        return levels;
    }

    private DataPageView ReadDataPageV2(PageHeader header, long bodyStart)
    {
        var info = header.DataPageV2 ?? throw new CorruptDataException("a data page v2 has no data page v2 header");
        var levelBytes = (long)info.RepetitionLevelsByteLength + info.DefinitionLevelsByteLength;
        if (levelBytes > header.CompressedPageSize || levelBytes > header.UncompressedPageSize)
            throw new CorruptDataException($"a data page v2 declares {levelBytes} level bytes in a {header.CompressedPageSize}-byte page");
        var raw = Window(bodyStart, header.CompressedPageSize);
        var repetition = raw[..info.RepetitionLevelsByteLength];
        var definition = raw.Slice(info.RepetitionLevelsByteLength, info.DefinitionLevelsByteLength);
        var valuesRaw = raw[(int)levelBytes..];
        var valuesLength = header.UncompressedPageSize - (int)levelBytes;
        var values = info.IsCompressed ? Decompress(valuesRaw, valuesLength) : CheckUncompressed(valuesRaw, valuesLength);
        if (_column.MaxRepetitionLevel == 0) repetition = default;
        if (_column.MaxDefinitionLevel == 0) definition = default;
        return new DataPageView
        {
            NumValues = info.NumValues,
            ValueEncoding = info.Encoding,
            RepetitionLevels = repetition,
            RepetitionLevelEncoding = ParquetEncoding.Rle,
            DefinitionLevels = definition,
            DefinitionLevelEncoding = ParquetEncoding.Rle,
            Values = values,
        };
    }

    private static ReadOnlySpan<byte> CheckUncompressed(ReadOnlySpan<byte> raw, int expected)
    {
        if (raw.Length != expected)
            throw new CorruptDataException($"an uncompressed page section is {raw.Length} bytes but its header says {expected}");
        return raw;
    }

    private ReadOnlySpan<byte> Decompress(ReadOnlySpan<byte> compressed, int uncompressedSize)
    {
        if (_codec == ParquetCompressionCodec.Uncompressed) return CheckUncompressed(compressed, uncompressedSize);
        CheckExpansion(compressed.Length, uncompressedSize);
        if (_decompressed.Length < uncompressedSize)
        {
            if (_decompressed.Length > 0) ArrayPool<byte>.Shared.Return(_decompressed);
            _decompressed = [];
            _decompressed = ArrayPool<byte>.Shared.Rent(uncompressedSize);
        }
        var target = _decompressed.AsSpan(0, uncompressedSize);
        PageCompression.Decompress(_codec, compressed, target);
        return target;
    }

    /// <summary>Refuses sizes no real page of this codec can have, before allocating for them.</summary>
    private void CheckExpansion(int compressedSize, int uncompressedSize)
    {
        if (uncompressedSize > _maxBufferBytes)
            throw new CorruptDataException(
                $"a page declares {uncompressedSize} uncompressed bytes, above the reader's limit of {_maxBufferBytes} " +
                "(raise ParquetReaderOptions.MaxBufferBytes if the file is trusted)");
        // Snappy expands at most ~21x (a 3-byte copy of 64 bytes), deflate at most ~1032x.
        var ceiling = _codec switch
        {
            ParquetCompressionCodec.Snappy => compressedSize * 24L + 64,
            ParquetCompressionCodec.Gzip => compressedSize * 1040L + 1024,
            _ => long.MaxValue,
        };
        if (uncompressedSize > ceiling)
            throw new CorruptDataException($"a {_codec} page declares {uncompressedSize} bytes from {compressedSize}, more than {_codec} can expand");
    }

    /// <summary>The file bytes [position, position+count), which lie inside the chunk, through the read window.</summary>
    private ReadOnlySpan<byte> Window(long position, int count)
    {
        if (count < 0 || position < 0 || position + count > _chunkEnd)
            throw new CorruptDataException($"a read of {count} bytes at offset {position} runs past the column chunk");
        if (position >= _windowStart && position + count <= _windowStart + _windowLength)
            return _window.AsSpan((int)(position - _windowStart), count);
        var length = (int)Math.Min(Math.Max(count, WindowSize), _chunkEnd - position);
        if (_window.Length < length)
        {
            if (_window.Length > 0) ArrayPool<byte>.Shared.Return(_window);
            _window = [];
            _window = ArrayPool<byte>.Shared.Rent(length);
        }
        _windowStart = position;
        _windowLength = 0;
        _file.ReadExactly(position, _window.AsSpan(0, length));
        _windowLength = length;
        return _window.AsSpan(0, count);
    }

    public void Dispose()
    {
        if (_window.Length > 0) ArrayPool<byte>.Shared.Return(_window);
        if (_decompressed.Length > 0) ArrayPool<byte>.Shared.Return(_decompressed);
        _window = [];
        _decompressed = [];
    }
}
