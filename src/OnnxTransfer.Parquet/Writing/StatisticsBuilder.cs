using OnnxTransfer.Parquet.Format;

namespace OnnxTransfer.Parquet.Writing;

/// <summary>
/// Column chunk statistics for a primitive column: null count, and min/max by the type's order. Floating-point NaNs are
/// counted but kept out of min/max, and zero bounds are written as -0.0 (min) and +0.0 (max), as parquet.thrift's
/// ColumnOrder rules ask, so that readers pruning on them never skip a row that matches.
/// </summary>
internal sealed class StatisticsBuilder<T>(ValueWriter<T> writer)
{
    /// <summary>Longer min/max values are left out rather than truncated (a truncated bound would need care to stay a bound).</summary>
    private const int MaxBoundBytes = 4096;

    private T _min = default!;
    private T _max = default!;
    private bool _hasBounds;
    private long _nulls;
    private long _nans;

    public void AddNulls(long count) => _nulls += count;

    public void Add(ReadOnlySpan<T> values)
    {
        foreach (var value in values)
        {
            if (writer.IsNaN(value))
            {
                _nans++;
                continue;
            }
            if (!_hasBounds)
            {
                _min = _max = value;
                _hasBounds = true;
                continue;
            }
            if (writer.Compare(value, _min) < 0) _min = value;
            if (writer.Compare(value, _max) > 0) _max = value;
        }
    }

    public Statistics Build()
    {
        var statistics = new Statistics { NullCount = _nulls };
        var isFloat = typeof(T) == typeof(float) || typeof(T) == typeof(double);
        if (isFloat) statistics.NanCount = _nans;
        if (!_hasBounds) return statistics;
        var min = _min;
        var max = _max;
        if (typeof(T) == typeof(float))
        {
            if ((float)(object)min! == 0f) min = (T)(object)(-0f);
            if ((float)(object)max! == 0f) max = (T)(object)0f;
        }
        else if (typeof(T) == typeof(double))
        {
            if ((double)(object)min! == 0d) min = (T)(object)(-0d);
            if ((double)(object)max! == 0d) max = (T)(object)0d;
        }
        var minBytes = writer.StatisticsBytes(min);
        var maxBytes = writer.StatisticsBytes(max);
        if (minBytes.Length > MaxBoundBytes || maxBytes.Length > MaxBoundBytes) return statistics;
        statistics.MinValue = minBytes;
        statistics.MaxValue = maxBytes;
        statistics.IsMinValueExact = true;
        statistics.IsMaxValueExact = true;
        // Numbers and booleans sort signed, so the deprecated min/max fields (for old readers) hold the same bounds.
        if (typeof(T) != typeof(string) && typeof(T) != typeof(byte[]))
        {
            statistics.Min = minBytes;
            statistics.Max = maxBytes;
        }
        return statistics;
    }
}
