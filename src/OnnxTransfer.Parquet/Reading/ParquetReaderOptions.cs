namespace OnnxTransfer.Parquet;

/// <summary>Limits and choices for reading.</summary>
public sealed class ParquetReaderOptions
{
    public static ParquetReaderOptions Default { get; } = new();

    /// <summary>
    /// The largest buffer the reader will allocate because a file declares a size or count (a decompressed page, the
    /// values of one column chunk). A file asking for more is refused with <see cref="ParquetFormatException"/> instead of
    /// exhausting memory; raise it for trusted files with very large row groups. Default 1 GiB.
    /// </summary>
    public long MaxBufferBytes { get; init; } = 1L << 30;

    /// <summary>Check the CRC-32 of pages whose header carries one; a mismatch is a <see cref="ParquetFormatException"/>.</summary>
    public bool VerifyPageChecksums { get; init; } = true;

    /// <summary>
    /// When the file has a <c>NAME.sha256</c> beside it (<see cref="FileChecksum"/>), hash the whole file on open and
    /// refuse it (<see cref="ParquetFormatException"/>) if a byte changed. Files without one are read as they are.
    /// </summary>
    public bool VerifyFileChecksums { get; init; } = true;
}
