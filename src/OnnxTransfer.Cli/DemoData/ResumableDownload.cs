using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace OnnxTransfer.Cli.DemoData;

/// <summary>
/// Gets one file to a destination path, never leaving a partial file under the final name: bytes arrive in
/// <c>DEST.partial</c>; a broken connection (or a rerun after a kill) continues it with an HTTP Range request; the whole
/// file is checked against its sha256 before the rename; a mismatch removes it and fails.
/// </summary>
public sealed class ResumableDownload(HttpClient http, Action<string> progress)
{
    /// <summary>Broken connections survived per file before giving up (each resumes where the last one stopped).</summary>
    public int Attempts { get; init; } = 5;

    public TimeSpan RetryPause { get; init; } = TimeSpan.FromSeconds(1);

    /// <param name="source">an http(s) URL or a local file (a mirror folder's copy)</param>
    /// <param name="sha256">the pinned hash, lower-case hex; null when the content is verified after unpacking instead</param>
    public void Fetch(string source, string destination, string? sha256, CancellationToken token)
    {
        var partial = destination + ".partial";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        if (DataSource.IsRemote(source)) FetchRemote(new Uri(source), partial, token);
        else CopyLocal(source, partial, token);

        if (sha256 is not null)
        {
            var actual = Sha256Of(partial);
            if (actual != sha256)
            {
                File.Delete(partial);
                throw new DemoDataException($"{source}: sha256 {actual} is not the pinned {sha256}; the file was removed. " +
                    $"The source (or the {DataSource.MirrorVariable} mirror) serves other bytes than the pinned file.");
            }
        }
        File.Move(partial, destination, overwrite: true);
    }

    private void FetchRemote(Uri url, string partial, CancellationToken token)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (TryContinue(url, partial, token)) return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException && attempt < Attempts && !token.IsCancellationRequested)
            {
                var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
                progress($"{Path.GetFileName(url.LocalPath)}: connection broken after {Mib(have)} ({e.Message}); resuming (attempt {attempt + 1} of {Attempts})");
                Thread.Sleep(RetryPause);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                throw new DemoDataException($"{url}: {e.Message} (the {Attempts} attempts are used up; rerun to continue from " +
                    $"{partial}, or set {DataSource.MirrorVariable} to a mirror URL or folder holding {Path.GetFileName(url.LocalPath)})");
            }
        }
    }

    /// <summary>One request: from the partial file's length on. True when the file is complete.</summary>
    private bool TryContinue(Uri url, string partial, CancellationToken token)
    {
        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var response = http.Send(request, HttpCompletionOption.ResponseHeadersRead, token);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0) return true; // nothing left to get
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
            throw new DemoDataException($"{url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        var append = response.StatusCode == HttpStatusCode.PartialContent && have > 0;
        if (!append) have = 0; // the server ignored the range: start over
        var total = response.Content.Headers.ContentLength is { } length ? have + length : (long?)null;

        using var body = response.Content.ReadAsStream(token);
        using var file = new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write);
        var buffer = new byte[1 << 16];
        var name = Path.GetFileName(url.LocalPath);
        var reported = -1L;
        progress($"{name}: {(append ? $"resuming at {Mib(have)}" : "downloading")} from {url.GetLeftPart(UriPartial.Authority)}" +
                 (total is { } t ? $" ({Mib(t)})" : ""));
        int read;
        while ((read = body.Read(buffer)) > 0)
        {
            token.ThrowIfCancellationRequested();
            file.Write(buffer, 0, read);
            have += read;
            var tenth = total is { } whole && whole > 0 ? have * 10 / whole : have >> 23; // each 10 %, or each 8 MiB
            if (tenth != reported) { reported = tenth; progress($"{name}: {Mib(have)}{(total is { } w ? $" of {Mib(w)} ({100 * have / Math.Max(1, w)} %)" : "")}"); }
        }
        if (total is { } expected && have < expected)
            throw new IOException($"the connection closed at {have} of {expected} bytes");
        return true;
    }

    private void CopyLocal(string source, string partial, CancellationToken token)
    {
        if (!File.Exists(source))
            throw new DemoDataException($"{source} does not exist: the {DataSource.MirrorVariable} folder must hold {Path.GetFileName(source)}");
        progress($"{Path.GetFileName(source)}: copying from {Path.GetDirectoryName(source)} ({Mib(new FileInfo(source).Length)})");
        token.ThrowIfCancellationRequested();
        File.Copy(source, partial, overwrite: true);
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F1} MiB";
}
