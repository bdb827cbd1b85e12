using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using OnnxTransfer.Parquet.Encodings;
using OnnxTransfer.Parquet.Schema;

namespace OnnxTransfer.Parquet.Reading;

/// <summary>The data does not have the shape the caller asked for (e.g. a list row of another length).</summary>
internal sealed class ShapeMismatchException(string problem) : CorruptDataException(problem);

/// <summary>
/// The embedding hot path: a list column whose rows all hold <c>length</c> non-null elements, decoded straight into
/// the caller's contiguous buffer. Levels are checked run by run (a page of fixed-size rows is a handful of RLE runs, so
/// millions of levels cost a few steps) and values are copied (PLAIN), transposed (BYTE_STREAM_SPLIT) or gathered
/// (dictionary) into place with no per-row work.
/// </summary>
internal static class FixedSizeListReader
{
    public static unsafe void Read<T>(ColumnChunkReader chunk, ColumnDescriptor column, int rowCount, int length, Span<T> destination) where T : unmanaged
    {
        var total = (long)rowCount * length;
        if (destination.Length < total)
            throw new ArgumentException($"The destination holds {destination.Length} values; {rowCount} rows of {length} need {total}.", nameof(destination));
        if (chunk.NumValues != total)
            throw new ShapeMismatchException(
                $"'{column.DottedPath}' is not a list of exactly {length} values per row: the chunk holds {chunk.NumValues} level entries for {rowCount} rows " +
                "(read it with ReadColumn to see null or ragged rows)");

        var decoder = ValueDecoder<T>.For(column);
        var rows = new RowLengthTracker(length, rowCount, column.DottedPath);
        var written = 0;
        chunk.DeferLargeValues = true;
        while (chunk.ReadNextDataPage(out var page))
        {
            var n = page.NumValues;
            if (written + (long)n > total)
                throw new ShapeMismatchException($"'{column.DottedPath}' holds more than {rowCount} rows × {length} values");
            CheckAllPresent(page.DefinitionLevels, page.DefinitionLevelEncoding, column.MaxDefinitionLevel, n, column.DottedPath, rows.Rows);
            TrackRows(page.RepetitionLevels, page.RepetitionLevelEncoding, n, ref rows);
            var target = destination.Slice(written, n);
            if (page.DeferredValuesLength == 0)
            {
                decoder.Decode(page.ValueEncoding, page.Values, target, chunk.Dictionary);
            }
            else if (page.ValueEncoding == ParquetEncoding.Plain && column.PhysicalType != ParquetPhysicalType.Boolean)
            {
                // PLAIN numbers are their little-endian bytes: read them from the file straight into place.
                if ((long)n * sizeof(T) > page.DeferredValuesLength)
                    throw new CorruptDataException($"PLAIN data holds {page.DeferredValuesLength / sizeof(T)} values where {n} are needed");
                chunk.ReadDeferredValues(page.DeferredValuesOffset, MemoryMarshal.AsBytes(target));
            }
            else
            {
                decoder.Decode(page.ValueEncoding, chunk.LoadDeferredValues(page.DeferredValuesOffset, page.DeferredValuesLength), target, chunk.Dictionary);
            }
            written += n;
        }
        rows.Finish();
        if (written != total)
            throw new CorruptDataException($"the column chunk declares {total} values but its pages hold {written}");
    }

    private static void CheckAllPresent(ReadOnlySpan<byte> levels, ParquetEncoding encoding, int maxDefinition, int count, string column, int rowsBefore)
    {
        if (maxDefinition == 0) return;
        if (encoding == ParquetEncoding.Rle)
        {
            var decoder = new RleBitPackedHybridDecoder(levels, BitPacking.BitWidthOf(maxDefinition));
            Span<int> scratch = stackalloc int[256];
            var remaining = count;
            while (remaining > 0)
            {
                var n = decoder.Next(remaining, scratch, out var repeated, out var value);
                if (n == 0) throw new CorruptDataException($"definition levels end {remaining} entries early");
                if (repeated ? value != maxDefinition : scratch[..n].IndexOfAnyExcept(maxDefinition) >= 0)
                    throw NullFound(column, rowsBefore);
                remaining -= n;
            }
            return;
        }
        var decoded = new byte[count];
        LevelDecoding.Decode(levels, encoding, maxDefinition, decoded);
        if (decoded.AsSpan().IndexOfAnyExcept((byte)maxDefinition) >= 0) throw NullFound(column, rowsBefore);
    }

    private static ShapeMismatchException NullFound(string column, int rowsBefore) =>
        new($"'{column}' has a null or empty list, or a null element, at or after row {rowsBefore}; it is not a fixed-size list " +
            "(read it with ReadColumn to see null rows)");

    private static void TrackRows(ReadOnlySpan<byte> levels, ParquetEncoding encoding, int count, ref RowLengthTracker rows)
    {
        if (encoding == ParquetEncoding.Rle)
        {
            var decoder = new RleBitPackedHybridDecoder(levels, 1);
            Span<int> scratch = stackalloc int[256];
            var remaining = count;
            while (remaining > 0)
            {
                if (decoder.TryTakeBits(remaining, out var bits, out var taken))
                {
                    rows.AddBits(bits, taken);
                    remaining -= taken;
                    continue;
                }
                var n = decoder.Next(remaining, scratch, out var repeated, out var value);
                if (n == 0) throw new CorruptDataException($"repetition levels end {remaining} entries early");
                if (repeated) rows.Add(value, n);
                else for (var i = 0; i < n; i++) rows.Add(scratch[i], 1);
                remaining -= n;
            }
            return;
        }
        var decoded = new byte[count];
        LevelDecoding.Decode(levels, encoding, 1, decoded);
        foreach (var level in decoded) rows.Add(level, 1);
    }

    /// <summary>Follows repetition levels (0 starts a row, 1 continues it) and checks every row has the expected length.</summary>
    private struct RowLengthTracker(int length, int rowCount, string column)
    {
        private int _current;

        public int Rows { get; private set; }

        public void Add(int level, int count)
        {
            if (level == 0)
            {
                if (Rows > 0 && _current != length) throw Mismatch(Rows - 1, _current);
                if (count > 1 && length != 1) throw Mismatch(Rows, 1);
                if ((long)Rows + count > rowCount) throw new CorruptDataException($"the column holds more than the row group's {rowCount} rows");
                Rows += count;
                _current = 1;
            }
            else
            {
                if (Rows == 0) throw new CorruptDataException("the first level entry continues a list (repetition level 1)");
                if ((long)_current + count > length) throw Mismatch(Rows - 1, (long)_current + count);
                _current += count;
            }
        }

        /// <summary>
        /// Bit-packed repetition levels, 64 at a time: a word of ones only lengthens the current row, and each zero bit (a
        /// row start, about one in <c>length</c>) is found with a trailing-zero count.
        /// </summary>
        public void AddBits(ReadOnlySpan<byte> bits, int count)
        {
            for (var done = 0; done < count; done += 64)
            {
                var take = Math.Min(64, count - done);
                var at = done >> 3;
                ulong word;
                if (take == 64) word = BinaryPrimitives.ReadUInt64LittleEndian(bits[at..]);
                else
                {
                    word = 0;
                    for (var b = 0; b < (take + 7) >> 3; b++) word |= (ulong)bits[at + b] << (8 * b);
                }
                var zeros = ~word & (take == 64 ? ulong.MaxValue : (1UL << take) - 1);
                var last = 0;
                while (zeros != 0)
                {
                    var start = BitOperations.TrailingZeroCount(zeros);
                    if (start > last) Add(1, start - last);
                    Add(0, 1);
                    last = start + 1;
                    zeros &= zeros - 1;
                }
                if (take > last) Add(1, take - last);
            }
        }

        public readonly void Finish()
        {
            if (Rows != rowCount) throw new CorruptDataException($"the column holds {Rows} rows where the row group has {rowCount}");
            if (Rows > 0 && _current != length) throw Mismatch(Rows - 1, _current);
        }

        private readonly ShapeMismatchException Mismatch(int row, long actual) =>
            new($"'{column}' is not a list of exactly {length} values per row: row {row} of the row group holds {(actual > length ? "more than " + length : actual.ToString())} " +
                "(read it with ReadColumn for ragged lists)");
    }
}
