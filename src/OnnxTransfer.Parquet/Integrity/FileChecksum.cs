using System.Security.Cryptography;
using System.Text;

namespace OnnxTransfer.Parquet;

/// <summary>
/// A sha256 of a whole file kept beside it in <c>NAME.sha256</c>, in <c>sha256sum</c>'s format
/// (<c>HEX␠␠NAME</c>), so <c>sha256sum -c</c> checks it too. Page CRCs cover page bodies only; this covers every byte —
/// page headers, footer, key-value metadata — so any change to a written file is found before its rows are used.
/// </summary>
public static class FileChecksum
{
    /// <summary>The suffix of a checksum file (<c>part-00000.parquet.sha256</c>).</summary>
    public const string Suffix = ".sha256";

    /// <summary>The checksum file of <paramref name="path"/>.</summary>
    public static string SidecarOf(string path) => path + Suffix;

    /// <summary>The lower-case hex sha256 of the file's bytes.</summary>
    public static string Compute(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// Records <paramref name="sha256"/> as the checksum of <paramref name="finalPath"/>, through a temporary file and
    /// a rename. Writers call it before renaming the data file into place, so a data file under its final name always
    /// has its checksum beside it (a crash in between leaves a checksum without a file, which the next write replaces).
    /// </summary>
    public static void WriteSidecar(string finalPath, string sha256)
    {
        var sidecar = SidecarOf(finalPath);
        var temporary = Path.Combine(Path.GetDirectoryName(sidecar)!, $".{Path.GetFileName(sidecar)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(Encoding.ASCII.GetBytes($"{sha256}  {Path.GetFileName(finalPath)}\n"));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, sidecar, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Checks <paramref name="path"/> against its checksum file.</summary>
    public static FileChecksumResult Verify(string path)
    {
        var sidecar = SidecarOf(path);
        if (!File.Exists(sidecar)) return new FileChecksumResult(FileChecksumStatus.Missing, null, null);
        var recorded = ReadRecorded(sidecar);
        if (recorded is null) return new FileChecksumResult(FileChecksumStatus.Mismatch, null, Compute(path));
        var actual = Compute(path);
        return new FileChecksumResult(actual == recorded ? FileChecksumStatus.Verified : FileChecksumStatus.Mismatch, recorded, actual);
    }

    /// <summary>The hex digest in a checksum file, or null when the file is not one (damaged too).</summary>
    private static string? ReadRecorded(string sidecar)
    {
        string text;
        try { text = File.ReadAllText(sidecar, Encoding.ASCII); }
        catch (IOException) { return null; }
        var hex = text.Length >= 64 ? text[..64] : "";
        return hex.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')) && hex.Length == 64 ? hex : null;
    }
}

public enum FileChecksumStatus
{
    /// <summary>The file's bytes hash to the recorded sha256.</summary>
    Verified,

    /// <summary>No checksum file (files written before checksums, or by other tools).</summary>
    Missing,

    /// <summary>The bytes (or the checksum file itself) changed after writing.</summary>
    Mismatch,
}

/// <param name="Recorded">The sha256 in the checksum file (null when missing or unreadable).</param>
/// <param name="Actual">The sha256 of the bytes now (null when not computed).</param>
public readonly record struct FileChecksumResult(FileChecksumStatus Status, string? Recorded, string? Actual)
{
    /// <summary>What was found, without the file's path (callers name the file): "its sha256 is X, but NAME.sha256 records Y".</summary>
    public string Describe(string path) => Status switch
    {
        FileChecksumStatus.Verified => $"matches {Path.GetFileName(FileChecksum.SidecarOf(path))}",
        FileChecksumStatus.Missing => $"has no checksum file ({Path.GetFileName(FileChecksum.SidecarOf(path))})",
        _ => Recorded is null
            ? $"its checksum file {Path.GetFileName(FileChecksum.SidecarOf(path))} is damaged"
            : $"its bytes changed after it was written (sha256 {Actual}, but {Path.GetFileName(FileChecksum.SidecarOf(path))} records {Recorded})",
    };
}
