using System.Security.Cryptography;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Backbones;

/// <summary>sha256 of files, streamed (a 100 MB model is hashed in a fraction of a second, without loading it whole).</summary>
public static class FileHash
{
    /// <summary>The lower-case hex sha256 of the file at <paramref name="path"/>.</summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
