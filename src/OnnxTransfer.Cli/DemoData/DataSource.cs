namespace OnnxTransfer.Cli.DemoData;

/// <summary>
/// Where a pinned file comes from: its public URL, or, when <c>ONNXTRANSFER_DATA_MIRROR</c> is set, the file of the same
/// name under that base URL (http/https) or in that local folder. Mirrors serve the same bytes, so the same pins apply.
/// </summary>
public sealed record DataSource(string FileName, Uri PublicUrl)
{
    public const string MirrorVariable = "ONNXTRANSFER_DATA_MIRROR";

    /// <summary>The URL or local file to read, given the mirror setting (null or empty: the public URL).</summary>
    public string Resolve(string? mirror)
    {
        if (string.IsNullOrWhiteSpace(mirror)) return PublicUrl.AbsoluteUri;
        if (mirror.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || mirror.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return mirror.TrimEnd('/') + "/" + Uri.EscapeDataString(FileName);
        var folder = mirror.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(mirror).LocalPath : mirror;
        return Path.Combine(Path.GetFullPath(folder), FileName);
    }

    public static bool IsRemote(string location) =>
        location.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
