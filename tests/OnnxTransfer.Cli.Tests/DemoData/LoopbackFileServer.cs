using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OnnxTransfer.Cli.Tests.DemoData;

/// <summary>
/// A minimal HTTP/1.1 file server on 127.0.0.1 (an ephemeral port) for the download tests: GET of a file by name,
/// "Range: bytes=N-" answered with 206, and, when asked, the connection dropped mid-body on the first requests.
/// Written on a TcpListener so a broken connection is a real one, as a client sees it on a flaky network.
/// </summary>
public sealed class LoopbackFileServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Dictionary<string, byte[]> _files;
    private readonly CancellationTokenSource _stop = new();
    private int _dropsLeft;

    public LoopbackFileServer(Dictionary<string, byte[]> files, int dropFirstRequestsAfterBytes = 0, int drops = 0)
    {
        _files = files;
        DropAfterBytes = dropFirstRequestsAfterBytes;
        _dropsLeft = drops;
        _listener.Start();
        _ = Task.Run(AcceptLoop);
    }

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    private int DropAfterBytes { get; }

    /// <summary>Every request line with its Range header ("GET /x bytes=0-"), in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.ASCII, false, 1024, leaveOpen: true);
            var requestLine = await reader.ReadLineAsync() ?? "";
            long from = 0;
            string? rangeHeader = null;
            while (await reader.ReadLineAsync() is { Length: > 0 } header)
                if (header.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))
                {
                    rangeHeader = header[6..].Trim();
                    from = long.Parse(rangeHeader["bytes=".Length..].TrimEnd('-'));
                }
            Requests.Enqueue($"{requestLine.Split(' ')[0]} {requestLine.Split(' ')[1]} {rangeHeader ?? "whole"}");
            var name = Uri.UnescapeDataString(requestLine.Split(' ')[1].TrimStart('/'));
            if (!_files.TryGetValue(name, out var body))
            {
                await Write(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                return;
            }
            if (from >= body.Length && rangeHeader is not null)
            {
                await Write(stream, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{body.Length}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                return;
            }
            var length = body.Length - from;
            var head = rangeHeader is null
                ? $"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
                : $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{body.Length - 1}/{body.Length}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n";
            await Write(stream, head);
            var drop = DropAfterBytes > 0 && Interlocked.Decrement(ref _dropsLeft) >= 0;
            var send = drop ? Math.Min(length, DropAfterBytes) : length;
            await stream.WriteAsync(body.AsMemory((int)from, (int)send));
            await stream.FlushAsync();
            // Half-close and wait for the client to hang up: every byte sent arrives before the end of the stream, so a
            // dropped response ends exactly after DropAfterBytes (closing with unsent data would reset it anywhere).
            client.Client.Shutdown(SocketShutdown.Send);
            try { while (await stream.ReadAsync(new byte[256]) > 0) { } }
            catch (IOException) { /* the client reset it: fine */ }
        }
    }

    private static Task Write(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
