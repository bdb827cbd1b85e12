using OnnxTransfer.Formats;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Features.Cache;

/// <summary>
/// The columns of one row group being filled, reused from part to part by a run (a 512-row group of 2048-d
/// embeddings is 4 MiB: allocated once, not once per part).
/// </summary>
internal sealed class RowGroupBuffer(int rows, int dimension)
{
    public int Capacity { get; } = rows;
    public int Dimension { get; } = dimension;
    public string?[] Ids { get; } = new string?[rows];
    public string?[] Sources { get; } = new string?[rows];
    public string?[] Labels { get; } = new string?[rows];
    public string?[] Splits { get; } = new string?[rows];
    public int[] Views { get; } = new int[rows];
    public float[] Embeddings { get; } = new float[checked(rows * dimension)];
}

/// <summary>
/// Writes one embedding part: rows are buffered into row groups of a fixed size and written as they fill; the file
/// exists under its final name only after <see cref="Commit"/> (the Parquet writer renames a hidden temporary file).
/// Disposing without committing leaves nothing behind.
/// </summary>
internal sealed class EmbeddingPartWriter : IDisposable
{
    private readonly ParquetFileWriter _writer;
    private readonly int _dimension;
    private readonly string?[] _ids, _sources, _labels, _splits;
    private readonly float[] _embeddings;
    private readonly int[]? _views; // a cache with views: the view column
    private int _buffered;

    /// <param name="withViews">The cache holds views: the part has the view column (<see cref="CacheLayout.ViewEmbeddingSchema"/>).</param>
    public EmbeddingPartWriter(string path, RowGroupBuffer buffer, IEnumerable<KeyValuePair<string, string>> metadata, ParquetWriterOptions options,
        bool withViews = false)
    {
        _dimension = buffer.Dimension;
        (_ids, _sources, _labels, _splits, _embeddings) = (buffer.Ids, buffer.Sources, buffer.Labels, buffer.Splits, buffer.Embeddings);
        _views = withViews ? buffer.Views : null;
        _writer = new ParquetFileWriter(path, withViews ? CacheLayout.ViewEmbeddingSchema : CacheLayout.EmbeddingSchema, options, metadata);
    }

    /// <summary>Rows appended so far (written or buffered).</summary>
    public int RowCount { get; private set; }

    public string Path => _writer.Path;

    /// <param name="view">The row's view id; required in a part with views, refused in one without.</param>
    public void Append(string id, int? view, string source, string? label, string? split, ReadOnlySpan<float> embedding)
    {
        if (view.HasValue != _views is not null)
            throw new InvalidOperationException(_views is null ? "A cache without views takes no view ids." : "A cache with views needs every row's view id.");
        if (_views is not null) _views[_buffered] = view!.Value;
        _ids[_buffered] = id;
        _sources[_buffered] = source;
        _labels[_buffered] = label;
        _splits[_buffered] = split;
        embedding.CopyTo(_embeddings.AsSpan(_buffered * _dimension, _dimension));
        _buffered++;
        RowCount++;
        if (_buffered == _ids.Length) Flush();
    }

    /// <summary>Writes the last row group and the footer, and renames the file to its final name.</summary>
    public void Commit()
    {
        Flush();
        _writer.Complete();
    }

    public void Dispose()
    {
        _writer.Dispose();
        Array.Clear(_ids); // the buffer outlives this part: drop its references to the strings
        Array.Clear(_sources);
        Array.Clear(_labels);
        Array.Clear(_splits);
        _buffered = 0;
    }

    private void Flush()
    {
        if (_buffered == 0) return;
        var group = _writer.BeginRowGroup(_buffered);
        group.WriteStrings(CacheLayout.IdColumn, _ids.AsSpan(0, _buffered));
        if (_views is not null) group.WriteValues<int>(CacheLayout.ViewColumn, _views.AsSpan(0, _buffered));
        group.WriteStrings(CacheLayout.SourceColumn, _sources.AsSpan(0, _buffered));
        group.WriteStrings(CacheLayout.LabelColumn, _labels.AsSpan(0, _buffered));
        group.WriteStrings(CacheLayout.SplitColumn, _splits.AsSpan(0, _buffered));
        group.WriteFixedSizeList<float>(CacheLayout.EmbeddingColumn, _embeddings.AsSpan(0, _buffered * _dimension), _dimension);
        group.Complete();
        Array.Clear(_ids, 0, _buffered);
        Array.Clear(_sources, 0, _buffered);
        Array.Clear(_labels, 0, _buffered);
        Array.Clear(_splits, 0, _buffered);
        _buffered = 0;
    }
}
