using Microsoft.Win32.SafeHandles;

namespace OnnxTransfer.Parquet.Reading;

/// <summary>The open file; positional reads, so row groups can be read from several threads at once.</summary>
internal sealed class FileSource : IDisposable
{
    private readonly SafeFileHandle _handle;

    public FileSource(string path)
    {
        Path = path;
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        Length = RandomAccess.GetLength(_handle);
    }

    public string Path { get; }

    public long Length { get; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; fails if the file is shorter.</summary>
    public void ReadExactly(long offset, Span<byte> destination)
    {
        var filled = 0;
        while (filled < destination.Length)
        {
            var read = RandomAccess.Read(_handle, destination[filled..], offset + filled);
            if (read == 0) throw new CorruptDataException($"the file ends at {offset + filled} while reading {destination.Length} bytes at {offset}");
            filled += read;
        }
    }

    public void Dispose() => _handle.Dispose();
}
