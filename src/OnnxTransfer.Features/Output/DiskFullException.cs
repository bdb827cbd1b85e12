using System.Globalization;

namespace OnnxTransfer.Features.Output;

/// <summary>
/// The disk filled while a run (extract, score) was writing part <see cref="Part"/>. The run deleted that part's
/// temporary file; the <see cref="RowsCommitted"/> rows of the parts before it stay valid, and the same command run
/// again once there is space continues from there.
/// </summary>
public sealed class DiskFullException(string directory, int part, long rowsCommitted, long bytesNeeded, long bytesAvailable, IOException cause)
    : OnnxTransferException(Describe(directory, part, rowsCommitted, bytesNeeded, bytesAvailable), innerException: cause)
{
    public string Directory { get; } = directory;

    public int Part { get; } = part;

    /// <summary>Rows in the parts this run committed before the disk filled.</summary>
    public long RowsCommitted { get; } = rowsCommitted;

    /// <summary>At most this much more space writes the part that failed (its uncompressed size).</summary>
    public long BytesNeeded { get; } = bytesNeeded;

    public long BytesAvailable { get; } = bytesAvailable;

    /// <summary>ENOSPC or EDQUOT (Unix errno in the HResult), ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL (Windows).</summary>
    public static bool IsDiskFull(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 112 or 39 : e.HResult is 28 or 122;

    /// <summary>Free bytes on the disk holding <paramref name="directory"/> (0 when it cannot be asked).</summary>
    public static long AvailableBytes(string directory)
    {
        try { return new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { return 0; }
    }

    private static string Describe(string directory, int part, long rows, long needed, long available) => string.Create(CultureInfo.InvariantCulture,
        $"disk full at part {part} in '{directory}': {rows} rows committed by this run (they stay valid, the unfinished part was deleted); " +
        $"free space needed: up to {Mib(needed)} per part, available: {Mib(available)}; free space and rerun the same command to continue.");

    /// <summary>MiB, or KiB below one (a small part on a nearly full disk read "0.0 MiB needed, 0.0 MiB available").</summary>
    private static string Mib(long bytes) => bytes < 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):F1} MiB");
}
