using OnnxTransfer.Parquet.Schema;

namespace OnnxTransfer.Parquet.Reading;

/// <summary>
/// The general read path: decodes every page of a chunk (levels and values) and assembles rows, nulls and list offsets
/// into a <see cref="ParquetColumnData"/>. Handles any null pattern and list shape of a supported field.
/// </summary>
internal static class ColumnAssembler
{
    public static ParquetColumnData Read(ColumnChunkReader chunk, ColumnDescriptor column, int rowCount, long maxBufferBytes)
    {
        var field = column.ValueField ?? throw new InvalidOperationException($"Column '{column.DottedPath}' is not readable: {column.UnsupportedReason}.");
        return field.ValueArrayType switch
        {
            var t when t == typeof(bool[]) => Read<bool>(chunk, column, rowCount, maxBufferBytes, 1),
            var t when t == typeof(int[]) => Read<int>(chunk, column, rowCount, maxBufferBytes, 4),
            var t when t == typeof(long[]) => Read<long>(chunk, column, rowCount, maxBufferBytes, 8),
            var t when t == typeof(float[]) => Read<float>(chunk, column, rowCount, maxBufferBytes, 4),
            var t when t == typeof(double[]) => Read<double>(chunk, column, rowCount, maxBufferBytes, 8),
            var t when t == typeof(string[]) => Read<string>(chunk, column, rowCount, maxBufferBytes, 8),
            _ => Read<byte[]>(chunk, column, rowCount, maxBufferBytes, 8),
        };
    }

    private static ParquetColumnData Read<T>(ColumnChunkReader chunk, ColumnDescriptor column, int rowCount, long maxBufferBytes, int valueBytes)
    {
        var declared = chunk.NumValues;
        if (declared < 0 || declared > Array.MaxLength || declared * valueBytes > maxBufferBytes)
            throw new CorruptDataException(
                $"the column chunk declares {declared} values, above the reader's limit of {maxBufferBytes} bytes " +
                "(raise ParquetReaderOptions.MaxBufferBytes if the file is trusted)");
        if (column.MaxRepetitionLevel == 0 && declared != rowCount)
            throw new CorruptDataException($"the column chunk declares {declared} values for {rowCount} rows");
        if (column.MaxRepetitionLevel > 0 && declared < rowCount)
            throw new CorruptDataException($"the column chunk declares {declared} level entries for {rowCount} rows");

        var count = (int)declared;
        var maxDefinition = column.MaxDefinitionLevel;
        var definitions = maxDefinition > 0 ? new byte[count] : null;
        var repetitions = column.MaxRepetitionLevel > 0 ? new byte[count] : null;
        var dense = new T[count];
        var decoder = ValueDecoder<T>.For(column);
        var entries = 0;
        var valueCount = 0;
        while (chunk.ReadNextDataPage(out var page))
        {
            var n = page.NumValues;
            if ((long)entries + n > count)
                throw new CorruptDataException($"the pages hold more than the {count} values the column chunk declares");
            if (repetitions is not null)
                LevelDecoding.Decode(page.RepetitionLevels, page.RepetitionLevelEncoding, column.MaxRepetitionLevel, repetitions.AsSpan(entries, n));
            var present = n;
            if (definitions is not null)
            {
                var levels = definitions.AsSpan(entries, n);
                LevelDecoding.Decode(page.DefinitionLevels, page.DefinitionLevelEncoding, maxDefinition, levels);
                present = levels.Count((byte)maxDefinition);
            }
            decoder.Decode(page.ValueEncoding, page.Values, dense.AsSpan(valueCount, present), chunk.Dictionary);
            entries += n;
            valueCount += present;
        }
        if (entries != count)
            throw new CorruptDataException($"the column chunk declares {count} values but its pages hold {entries}");

        var field = column.Field!;
        return repetitions is null
            ? AssembleFlat(field, dense, valueCount, definitions, maxDefinition)
            : AssembleList((ParquetListField)field, column, rowCount, dense, valueCount, definitions!, repetitions);
    }

    private static ParquetColumnData AssembleFlat<T>(ParquetField field, T[] dense, int valueCount, byte[]? definitions, int maxDefinition)
    {
        if (definitions is null || valueCount == dense.Length) return new ParquetColumnData(field, dense);
        var rows = definitions.Length;
        var isNull = new bool[rows];
        // Spread the dense values to their rows from the back, in place: a value never moves left.
        var source = valueCount - 1;
        for (var row = rows - 1; row >= 0; row--)
        {
            if (definitions[row] == maxDefinition)
            {
                dense[row] = dense[source--];
            }
            else
            {
                dense[row] = default!;
                isNull[row] = true;
            }
        }
        return new ParquetColumnData(field, dense, isNull);
    }

    private static ParquetColumnData AssembleList<T>(ParquetListField field, ColumnDescriptor column, int rowCount, T[] dense, int valueCount,
        byte[] definitions, byte[] repetitions)
    {
        var elementLevel = column.RepeatedDefinitionLevel;   // an entry at or above this is an element
        var listLevel = elementLevel - 1;                     // at this level the list is present but empty
        var maxDefinition = column.MaxDefinitionLevel;
        var offsets = new int[rowCount + 1];
        bool[]? rowIsNull = null;
        var slotCount = 0;
        var row = -1;
        for (var i = 0; i < definitions.Length; i++)
        {
            var definition = definitions[i];
            if (repetitions[i] == 0)
            {
                if (++row >= rowCount) throw new CorruptDataException($"the column holds more than the row group's {rowCount} rows");
                offsets[row] = slotCount;
                if (definition < listLevel) (rowIsNull ??= new bool[rowCount])[row] = true;
                if (definition >= elementLevel) slotCount++;
            }
            else
            {
                if (row < 0) throw new CorruptDataException("the first level entry continues a list (repetition level 1)");
                if (definition < elementLevel) throw new CorruptDataException($"a list continues with an entry at definition level {definition}, which is not an element");
                slotCount++;
            }
        }
        if (row + 1 != rowCount) throw new CorruptDataException($"the column holds {row + 1} rows where the row group has {rowCount}");
        offsets[rowCount] = slotCount;

        if (rowIsNull is not null && !field.IsNullable)
            throw new CorruptDataException("a required list column holds a null list");

        // Elements: slotCount slots, of which valueCount carry values; null elements sit between them.
        var values = slotCount == dense.Length ? dense : new T[slotCount];
        bool[]? valueIsNull = null;
        if (valueCount == slotCount)
        {
            if (!ReferenceEquals(values, dense)) Array.Copy(dense, values, slotCount);
        }
        else
        {
            // From the back, so that spreading in place (values may be dense itself) never overwrites a value not yet moved.
            valueIsNull = new bool[slotCount];
            var slot = slotCount - 1;
            var source = valueCount - 1;
            for (var i = definitions.Length - 1; i >= 0; i--)
            {
                var definition = definitions[i];
                if (definition < elementLevel) continue;
                if (definition == maxDefinition)
                {
                    values[slot] = dense[source--];
                }
                else
                {
                    values[slot] = default!;
                    valueIsNull[slot] = true;
                }
                slot--;
            }
        }
        return new ParquetColumnData(field, values, valueIsNull, offsets, rowIsNull);
    }
}
