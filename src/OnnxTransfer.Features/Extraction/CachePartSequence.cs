using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Output;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// The writer stage's bookkeeping, shared by the image and text runs: rows are appended in order (an embedding or an
/// error row each); every <c>RowsPerPart</c> embeddings the part is committed — its error rows first, then the part,
/// under one part index — and <see cref="CommitPending"/> commits whatever has been appended when a run ends or is
/// stopped. Disposing abandons a part that was not committed (its temporary file is deleted). One thread only.
/// Counts are of inputs (an input is done with its error row or its last row); with views an input has a row per view.
/// </summary>
internal sealed class CachePartSequence : IDisposable
{
    private readonly EmbeddingCache _cache;
    private readonly IReadOnlyList<string> _providers;
    private readonly EmbeddingNumerics _numerics;
    private readonly RowGroupBuffer _rowGroup;
    private readonly int _rowsPerPart;
    private readonly TimeSpan? _partTime;
    private long _partStarted; // Stopwatch timestamp of the first pending row, 0 when nothing is pending
    private readonly List<ErrorRow> _errors = [];
    private readonly SortedDictionary<string, int> _reasons = new(StringComparer.Ordinal);
    private EmbeddingPartWriter? _part;
    private int _partIndex;
    private int _uncommitted;
    private int _committed;

    public CachePartSequence(EmbeddingCache cache, IReadOnlyList<string> providers, EmbeddingNumerics numerics, ExtractionOptions options, int rows, int dimension)
    {
        _cache = cache;
        _providers = providers;
        _numerics = numerics;
        _rowsPerPart = options.RowsPerPart;
        _partTime = options.PartTime;
        _partIndex = cache.NextPartIndex();
        _rowGroup = new RowGroupBuffer(Math.Max(1, Math.Min(options.RowsPerRowGroup, Math.Min(options.RowsPerPart, rows))), dimension);
    }

    /// <summary>Inputs whose last row was appended.</summary>
    public int Embedded { get; private set; }

    /// <summary>Embedding rows appended (with views, one per input and view).</summary>
    public int EmbeddedRows { get; private set; }

    public int Failed { get; private set; }
    public int PartsWritten { get; private set; }
    public int ErrorPartsWritten { get; private set; }

    /// <summary>Inputs (embedded or failed) whose rows are all in committed parts; safe to read from another thread.</summary>
    public int Committed => Volatile.Read(ref _committed);

    public IReadOnlyDictionary<string, int> ErrorsByReason => _reasons;

    /// <exception cref="DiskFullException">The disk filled while writing the part (its temporary file is deleted).</exception>
    public void AddError(ErrorRow error)
    {
        StartClock();
        _uncommitted++;
        _errors.Add(error);
        Failed++;
        _reasons[error.Reason] = _reasons.GetValueOrDefault(error.Reason) + 1;
        if (PartTimeIsUp()) CommitPending();
    }

    /// <exception cref="DiskFullException">The disk filled while writing the part (its temporary file is deleted).</exception>
    /// <param name="view">With views: the view id of the row (the cache's view column); null for a cache without views.</param>
    /// <param name="completesInput">Whether this is the input's last row (with views, the rows of its other views came first).</param>
    public void AddEmbedding(InputItem item, ReadOnlySpan<float> embedding, int? view = null, bool completesInput = true)
    {
        if (completesInput) _uncommitted++;
        try
        {
            _part ??= _cache.BeginPart(_partIndex, _rowGroup, _providers, _numerics);
            _part.Append(item.Id, view, item.Source, item.Label, item.Split, embedding);
        }
        catch (IOException e) when (DiskFullException.IsDiskFull(e)) { throw DiskFull(e); }
        StartClock();
        EmbeddedRows++;
        if (completesInput) Embedded++;
        if (_part.RowCount == _rowsPerPart || PartTimeIsUp()) CommitPending();
    }

    /// <summary>Abandons the part being written (deleting its temporary file, which would keep the disk full) and says where the run stopped.</summary>
    private DiskFullException DiskFull(IOException cause)
    {
        _part?.Dispose();
        _part = null;
        var partBytes = (long)_rowsPerPart * _rowGroup.Dimension * sizeof(float);
        return new DiskFullException(_cache.Directory, _partIndex, Committed, partBytes, DiskFullException.AvailableBytes(_cache.Directory), cause);
    }

    private void StartClock()
    {
        if (_partStarted == 0) _partStarted = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    private bool PartTimeIsUp() => _partTime is { } limit && System.Diagnostics.Stopwatch.GetElapsedTime(_partStarted) >= limit;

    /// <summary>Commits the error rows, then the embedding part, under one part index (nothing when nothing is pending).</summary>
    public void CommitPending()
    {
        try { CommitParts(); }
        catch (IOException e) when (DiskFullException.IsDiskFull(e)) { throw DiskFull(e); }
        Volatile.Write(ref _committed, _committed + _uncommitted);
        _uncommitted = 0;
        _partStarted = 0;
    }

    private void CommitParts()
    {
        if (_part is not null || _errors.Count > 0)
        {
            if (_errors.Count > 0)
            {
                _cache.WriteErrorPart(_partIndex, _errors);
                ErrorPartsWritten++;
                _errors.Clear();
            }
            if (_part is not null)
            {
                _part.Commit();
                _part.Dispose();
                _part = null;
                PartsWritten++;
            }
            _partIndex++;
        }
    }

    public void Dispose() => _part?.Dispose();
}
