using System.Buffers;
using OnnxTransfer.Parquet.Compression;
using OnnxTransfer.Parquet.Encodings;
using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Schema;
using OnnxTransfer.Parquet.Thrift;

namespace OnnxTransfer.Parquet.Writing;

/// <summary>
/// Encodes one column chunk and writes it to the file: an optional dictionary page, then data pages (v1 or v2) that end
/// on row boundaries, each holding levels (RLE hybrid) and values (PLAIN, BYTE_STREAM_SPLIT or dictionary indices),
/// compressed with the file's codec. Returns the chunk's footer metadata. Buffers are kept between chunks.
/// </summary>
internal sealed class ColumnChunkWriter(ParquetWriterOptions options, Stream output)
{
    private readonly ByteBuffer _page = new(1 << 16);
    private readonly ByteBuffer _levels = new(1 << 12);
    private readonly ByteBuffer _compressed = new(1 << 16);
    private readonly CompactProtocolWriter _header = new();

    private long _uncompressedTotal;
    private long _compressedTotal;

    /// <summary>Checks the input against the column (shape, nulls); throws <see cref="ArgumentException"/> before anything is written.</summary>
    public static void Validate<T>(ColumnDescriptor column, ParquetField field, int rowCount, ColumnInput<T> input, ValueWriter<T> writer)
    {
        var name = field.Name;
        var element = field as ParquetListField;
        if (element is null)
        {
            if (input.Values.Length != rowCount) throw new ArgumentException($"Column '{name}': {input.Values.Length} values for {rowCount} rows.");
            if (!input.Offsets.IsEmpty || input.IsFixedSize || !input.RowIsNull.IsEmpty) throw new ArgumentException($"Column '{name}' is not a list.");
        }
        else if (input.IsFixedSize)
        {
            if (input.Values.Length != (long)rowCount * input.FixedLength)
                throw new ArgumentException($"Column '{name}': {input.Values.Length} values are not {rowCount} rows of {input.FixedLength}.");
        }
        else
        {
            if (input.Offsets.Length != rowCount + 1) throw new ArgumentException($"Column '{name}': {input.Offsets.Length} offsets for {rowCount} rows (need rows + 1).");
            if (input.Offsets[0] != input.OffsetBase || input.Offsets[rowCount] - input.OffsetBase != input.Values.Length)
                throw new ArgumentException($"Column '{name}': offsets must span the {input.Values.Length} values exactly.");
            if (!input.RowIsNull.IsEmpty && input.RowIsNull.Length != rowCount)
                throw new ArgumentException($"Column '{name}': {input.RowIsNull.Length} row null flags for {rowCount} rows.");
            for (var row = 0; row < rowCount; row++)
            {
                if (input.Offsets[row + 1] < input.Offsets[row]) throw new ArgumentException($"Column '{name}': offsets decrease at row {row}.");
                if (input.IsRowNull(row))
                {
                    if (!field.IsNullable) throw new ArgumentException($"Column '{name}' is not nullable but row {row} is null.");
                    if (input.RowLength(row) != 0) throw new ArgumentException($"Column '{name}': null row {row} has elements.");
                }
            }
        }
        if (!input.ValueIsNull.IsEmpty && input.ValueIsNull.Length != input.Values.Length)
            throw new ArgumentException($"Column '{name}': {input.ValueIsNull.Length} null flags for {input.Values.Length} values.");
        var valuesNullable = element?.Element.IsNullable ?? field.IsNullable;
        if (!writer.ChecksEachValue)
        {
            // Numbers and booleans: only the null flags can be wrong, and a vectorised search finds a misplaced one.
            var firstNull = valuesNullable || input.ValueIsNull.IsEmpty ? -1 : input.ValueIsNull.IndexOf(true);
            if (firstNull >= 0)
                throw new ArgumentException(element is null
                    ? $"Column '{name}' is not nullable but row {firstNull} is null."
                    : $"List column '{name}' has non-nullable elements but element {firstNull} is null.");
            return;
        }
        for (var i = 0; i < input.Values.Length; i++)
        {
            var value = input.Values[i];
            var isNull = (!input.ValueIsNull.IsEmpty && input.ValueIsNull[i]) || writer.IsNullReference(value);
            if (isNull)
            {
                if (!valuesNullable)
                    throw new ArgumentException(element is null
                        ? $"Column '{name}' is not nullable but row {i} is null."
                        : $"List column '{name}' has non-nullable elements but element {i} is null.");
                continue;
            }
            writer.Validate(value, name);
        }
    }

    public ColumnChunk Write<T>(ColumnDescriptor column, ParquetField field, int rowCount, ColumnInput<T> input, ValueWriter<T> writer)
    {
        _uncompressedTotal = 0;
        _compressedTotal = 0;
        var chunkStart = output.Position;

        // Null slots, and the non-null values in order (the input itself when there are no nulls).
        var nullSlots = CountNullSlots(input, writer);
        T[]? gathered = null;
        var present = input.Values;
        if (nullSlots > 0)
        {
            gathered = ArrayPool<T>.Shared.Rent(input.Values.Length - nullSlots);
            var n = 0;
            for (var i = 0; i < input.Values.Length; i++)
                if (!IsNullSlot(input, writer, i)) gathered[n++] = input.Values[i];
            present = gathered.AsSpan(0, n);
        }

        try
        {
            var encodings = new List<ParquetEncoding>();
            var encodingStats = new List<(PageType, ParquetEncoding, int)>();
            long? dictionaryOffset = null;
            int[]? indices = null;
            var valueEncoding = ParquetEncoding.Plain;
            var dictionary = options.DictionaryEncodeStrings ? BuildDictionary(present, writer, out indices) : null;
            if (dictionary is not null)
            {
                dictionaryOffset = output.Position;
                WriteDictionaryPage(dictionary, writer);
                valueEncoding = ParquetEncoding.RleDictionary;
                encodings.Add(ParquetEncoding.Plain);
                encodingStats.Add((PageType.DictionaryPage, ParquetEncoding.Plain, 1));
            }
            else if (options.ByteStreamSplitFloatingPoint && writer.CanByteStreamSplit)
            {
                valueEncoding = ParquetEncoding.ByteStreamSplit;
            }

            Statistics? statistics = null;
            if (options.WriteStatistics && field is ParquetPrimitiveField)
            {
                var builder = new StatisticsBuilder<T>(writer);
                builder.AddNulls(nullSlots);
                builder.Add(present);
                statistics = builder.Build();
            }

            var dataOffset = output.Position;
            var pages = 0;
            long entries = 0;
            var dictionaryBitWidth = dictionary is null ? 0 : Math.Max(1, BitPacking.BitWidthOf(dictionary.Count - 1));
            foreach (var page in SplitPages(column, rowCount, input, writer, nullSlots > 0, present, dictionary is not null))
            {
                var values = present.Slice(page.FirstValue, page.ValueCount);
                WriteDataPage(column, input, writer, page, values, valueEncoding, indices, dictionaryBitWidth, nullSlots > 0);
                entries += page.Entries;
                pages++;
            }
            if (column.MaxDefinitionLevel > 0 || column.MaxRepetitionLevel > 0) encodings.Add(ParquetEncoding.Rle);
            if (!encodings.Contains(valueEncoding)) encodings.Add(valueEncoding);
            encodingStats.Add((options.DataPageVersion == ParquetDataPageVersion.V2 ? PageType.DataPageV2 : PageType.DataPage, valueEncoding, pages));

            return new ColumnChunk
            {
                FileOffset = 0, // deprecated; 0 means no ColumnMetaData outside the footer
                MetaData = new ColumnMetaData
                {
                    Type = column.PhysicalType,
                    Encodings = encodings,
                    PathInSchema = [.. column.Path],
                    Codec = options.Compression,
                    NumValues = entries,
                    TotalUncompressedSize = _uncompressedTotal,
                    TotalCompressedSize = output.Position - chunkStart,
                    DataPageOffset = dataOffset,
                    DictionaryPageOffset = dictionaryOffset,
                    Statistics = statistics,
                    EncodingStats = encodingStats,
                },
            };
        }
        finally
        {
            if (gathered is not null) ArrayPool<T>.Shared.Return(gathered, clearArray: System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>());
        }
    }

    private static bool IsNullSlot<T>(ColumnInput<T> input, ValueWriter<T> writer, int slot) =>
        (!input.ValueIsNull.IsEmpty && input.ValueIsNull[slot]) || writer.IsNullReference(input.Values[slot]);

    private static int CountNullSlots<T>(ColumnInput<T> input, ValueWriter<T> writer)
    {
        var count = input.ValueIsNull.IsEmpty ? 0 : input.ValueIsNull.Count(true);
        if (writer.DictionaryComparer is null) return count; // value types have no null references
        count = 0;
        for (var i = 0; i < input.Values.Length; i++)
            if (IsNullSlot(input, writer, i)) count++;
        return count;
    }

    /// <summary>Distinct values in first-seen order and each value's index, or null when not worth it or too large.</summary>
    private List<T>? BuildDictionary<T>(ReadOnlySpan<T> present, ValueWriter<T> writer, out int[]? indices)
    {
        indices = null;
        var comparer = writer.DictionaryComparer;
        if (comparer is null || present.IsEmpty) return null;
#pragma warning disable CS8714 // only non-null values (strings, byte arrays) reach the dictionary
        var lookup = new Dictionary<T, int>(comparer);
#pragma warning restore CS8714
        var entries = new List<T>();
        var result = new int[present.Length];
        long bytes = 0;
        for (var i = 0; i < present.Length; i++)
        {
            var value = present[i];
            if (!lookup.TryGetValue(value, out var index))
            {
                index = entries.Count;
                lookup.Add(value, index);
                entries.Add(value);
                bytes += writer.PlainSize(value);
                if (bytes > options.DictionaryPageSizeLimit) return null; // too many distinct values: PLAIN is better
            }
            result[i] = index;
        }
        indices = result;
        return entries;
    }

    private void WriteDictionaryPage<T>(List<T> dictionary, ValueWriter<T> writer)
    {
        _page.Clear();
        writer.WritePlain(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(dictionary), _page);
        var uncompressed = _page.Length;
        var body = Compress(_page.WrittenSpan);
        var header = new PageHeader
        {
            Type = PageType.DictionaryPage,
            UncompressedPageSize = uncompressed,
            CompressedPageSize = body.Length,
            DictionaryPage = new DictionaryPageHeader { NumValues = dictionary.Count, Encoding = ParquetEncoding.Plain },
        };
        WritePage(header, [], body, uncompressed);
    }

    private readonly record struct PageSpan(int FirstRow, int RowCount, int FirstValue, int ValueCount, int Entries);

    /// <summary>Cuts the rows into pages of about <see cref="ParquetWriterOptions.PageSizeBytes"/> encoded value bytes.</summary>
    private List<PageSpan> SplitPages<T>(ColumnDescriptor column, int rowCount, ColumnInput<T> input, ValueWriter<T> writer, bool hasNullSlots,
        ReadOnlySpan<T> present, bool dictionaryEncoded)
    {
        var pages = new List<PageSpan>();
        var target = options.PageSizeBytes;
        var isList = column.MaxRepetitionLevel > 0;
        if (!hasNullSlots && !dictionaryEncoded && writer.DictionaryComparer is null && (!isList || input.IsFixedSize))
        {
            // Fixed-width values and no nulls: the page boundaries follow from the sizes alone.
            var rowBytes = Math.Max(1L, (long)(isList ? input.FixedLength : 1) * (present.IsEmpty ? 1 : writer.PlainSize(present[0])));
            var rowsPerPage = (int)Math.Clamp(target / rowBytes, 1, int.MaxValue);
            for (var first = 0; first < rowCount; first += rowsPerPage)
            {
                var rows = Math.Min(rowsPerPage, rowCount - first);
                var perRow = isList ? input.FixedLength : 1;
                pages.Add(new PageSpan(first, rows, first * perRow, rows * perRow, rows * Math.Max(1, perRow)));
            }
            if (rowCount == 0) pages.Add(new PageSpan(0, 0, 0, 0, 0));
            return pages;
        }

        int pageFirstRow = 0, pageFirstValue = 0, valueCursor = 0, entries = 0;
        long bytes = 0;
        for (var row = 0; row < rowCount; row++)
        {
            int slots = isList ? input.RowLength(row) : 1, start = isList ? input.RowStart(row) : row;
            for (var s = start; s < start + slots; s++)
            {
                if (hasNullSlots && IsNullSlot(input, writer, s)) continue;
                bytes += dictionaryEncoded ? 2 : writer.PlainSize(present[valueCursor]);
                valueCursor++;
            }
            entries += isList ? Math.Max(1, slots) : 1;
            if (bytes >= target || row == rowCount - 1)
            {
                pages.Add(new PageSpan(pageFirstRow, row + 1 - pageFirstRow, pageFirstValue, valueCursor - pageFirstValue, entries));
                pageFirstRow = row + 1;
                pageFirstValue = valueCursor;
                entries = 0;
                bytes = 0;
            }
        }
        if (rowCount == 0) pages.Add(new PageSpan(0, 0, 0, 0, 0));
        return pages;
    }

    private void WriteDataPage<T>(ColumnDescriptor column, ColumnInput<T> input, ValueWriter<T> writer, PageSpan page, ReadOnlySpan<T> values,
        ParquetEncoding encoding, int[]? indices, int dictionaryBitWidth, bool hasNullSlots)
    {
        var v2 = options.DataPageVersion == ParquetDataPageVersion.V2;
        _page.Clear();
        _levels.Clear();
        var levelTarget = v2 ? _levels : _page;
        var repetitionLength = 0;
        var definitionLength = 0;
        // v1 puts each level section behind a 4-byte length inside the page; v2 keeps them apart, unprefixed.
        if (column.MaxRepetitionLevel > 0)
        {
            var start = BeginLevels(levelTarget, prefixed: !v2);
            WriteRepetitionLevels(levelTarget, input, page);
            repetitionLength = EndLevels(levelTarget, start, prefixed: !v2);
        }
        if (column.MaxDefinitionLevel > 0)
        {
            var start = BeginLevels(levelTarget, prefixed: !v2);
            WriteDefinitionLevels(levelTarget, column, input, writer, page, hasNullSlots);
            definitionLength = EndLevels(levelTarget, start, prefixed: !v2);
        }

        var valuesStart = _page.Length;
        switch (encoding)
        {
            case ParquetEncoding.RleDictionary:
            {
                _page.WriteByte((byte)dictionaryBitWidth);
                var encoder = new RleBitPackedHybridEncoder(_page, dictionaryBitWidth);
                encoder.Write(indices.AsSpan(page.FirstValue, page.ValueCount));
                encoder.Finish();
                break;
            }
            case ParquetEncoding.ByteStreamSplit:
                writer.WriteByteStreamSplit(values, _page);
                break;
            default:
                writer.WritePlain(values, _page);
                break;
        }

        PageHeader header;
        if (!v2)
        {
            var uncompressed = _page.Length;
            var body = Compress(_page.WrittenSpan);
            header = new PageHeader
            {
                Type = PageType.DataPage,
                UncompressedPageSize = uncompressed,
                CompressedPageSize = body.Length,
                DataPage = new DataPageHeader
                {
                    NumValues = page.Entries,
                    Encoding = encoding,
                    DefinitionLevelEncoding = ParquetEncoding.Rle,
                    RepetitionLevelEncoding = ParquetEncoding.Rle,
                },
            };
            WritePage(header, [], body, uncompressed);
        }
        else
        {
            var valueBytes = _page.WrittenSpan[valuesStart..];
            var body = Compress(valueBytes);
            header = new PageHeader
            {
                Type = PageType.DataPageV2,
                UncompressedPageSize = _levels.Length + valueBytes.Length,
                CompressedPageSize = _levels.Length + body.Length,
                DataPageV2 = new DataPageHeaderV2
                {
                    NumValues = page.Entries,
                    NumNulls = page.Entries - page.ValueCount,
                    NumRows = page.RowCount,
                    Encoding = encoding,
                    RepetitionLevelsByteLength = repetitionLength,
                    DefinitionLevelsByteLength = definitionLength,
                    IsCompressed = options.Compression != ParquetCompressionCodec.Uncompressed,
                },
            };
            WritePage(header, _levels.WrittenSpan, body, _levels.Length + valueBytes.Length);
        }
    }

    private static int BeginLevels(ByteBuffer target, bool prefixed)
    {
        if (prefixed) target.Reserve(4);
        return target.Length;
    }

    /// <summary>Returns the encoded length of the level section begun at <paramref name="start"/>, patching its v1 length prefix.</summary>
    private static int EndLevels(ByteBuffer target, int start, bool prefixed)
    {
        var length = target.Length - start;
        if (prefixed) target.PatchInt32(start - 4, length);
        return length;
    }

    private static void WriteRepetitionLevels<T>(ByteBuffer buffer, ColumnInput<T> input, PageSpan page)
    {
        var encoder = new RleBitPackedHybridEncoder(buffer, 1);
        for (var row = page.FirstRow; row < page.FirstRow + page.RowCount; row++)
        {
            encoder.Write(0);
            var length = input.IsRowNull(row) ? 0 : input.RowLength(row);
            if (length > 1) encoder.WriteRepeated(1, length - 1);
        }
        encoder.Finish();
    }

    private static void WriteDefinitionLevels<T>(ByteBuffer buffer, ColumnDescriptor column, ColumnInput<T> input, ValueWriter<T> writer,
        PageSpan page, bool hasNullSlots)
    {
        var maxDefinition = column.MaxDefinitionLevel;
        var encoder = new RleBitPackedHybridEncoder(buffer, BitPacking.BitWidthOf(maxDefinition));
        if (column.MaxRepetitionLevel == 0)
        {
            if (!hasNullSlots) encoder.WriteRepeated(maxDefinition, page.RowCount);
            else
                for (var row = page.FirstRow; row < page.FirstRow + page.RowCount; row++)
                    encoder.Write(IsNullSlot(input, writer, row) ? maxDefinition - 1 : maxDefinition);
            encoder.Finish();
            return;
        }
        var emptyList = column.RepeatedDefinitionLevel - 1;
        if (!hasNullSlots && input.IsFixedSize && input.FixedLength > 0)
        {
            encoder.WriteRepeated(maxDefinition, (long)page.RowCount * input.FixedLength);
            encoder.Finish();
            return;
        }
        for (var row = page.FirstRow; row < page.FirstRow + page.RowCount; row++)
        {
            if (input.IsRowNull(row))
            {
                encoder.Write(emptyList - 1);
                continue;
            }
            var length = input.RowLength(row);
            if (length == 0)
            {
                encoder.Write(emptyList);
                continue;
            }
            if (!hasNullSlots)
            {
                encoder.WriteRepeated(maxDefinition, length);
                continue;
            }
            var start = input.RowStart(row);
            for (var s = start; s < start + length; s++)
                encoder.Write(IsNullSlot(input, writer, s) ? maxDefinition - 1 : maxDefinition);
        }
        encoder.Finish();
    }

    private static uint Crc32Of(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var joined = ArrayPool<byte>.Shared.Rent(first.Length + second.Length);
        try
        {
            first.CopyTo(joined);
            second.CopyTo(joined.AsSpan(first.Length));
            return Crc32.Compute(joined.AsSpan(0, first.Length + second.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(joined);
        }
    }

    private ReadOnlySpan<byte> Compress(ReadOnlySpan<byte> data)
    {
        if (options.Compression == ParquetCompressionCodec.Uncompressed) return data;
        PageCompression.Compress(options.Compression, data, _compressed, options.CompressionLevel);
        return _compressed.WrittenSpan;
    }

    private void WritePage(PageHeader header, ReadOnlySpan<byte> levels, ReadOnlySpan<byte> body, int uncompressedBody)
    {
        if (options.WritePageChecksums)
        {
            // The checksum covers the page as stored after its header: the (v2) levels, then the compressed body.
            var crc = levels.IsEmpty ? Crc32.Compute(body) : Crc32Of(levels, body);
            header.Crc = unchecked((int)crc);
        }
        _header.Clear();
        header.Write(_header);
        output.Write(_header.Written);
        output.Write(levels);
        output.Write(body);
        _uncompressedTotal += _header.Length + uncompressedBody;
        _compressedTotal += _header.Length + levels.Length + body.Length;
    }
}
