using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Output;

/// <summary>
/// The flock locks of one run writing an output folder (an extraction's cache, a scoring run's scores), all released
/// by the OS when the process dies (even on kill -9). An unsharded run holds <c>.lock</c> exclusively; shard K of N
/// holds <c>.lock</c> shared, <c>.lock.count-N</c> shared and <c>.lock.shard-K-of-N</c> exclusively — so the N shards of
/// one layout run side by side, while the same shard twice, an unsharded run beside shards, or shards of two different
/// N are refused. The decision is taken under the brief exclusive <c>.lock.layout</c>, which also covers the caller's
/// check of the folder and creation of its manifest: of runs started together on one folder, exactly one layout wins.
/// </summary>
public sealed class OutputFolderLocks : IDisposable
{
    private readonly List<FileStream> _held = [];
    private readonly OutputWriter _writer;

    private OutputFolderLocks(OutputWriter writer) => _writer = writer;

    /// <summary>
    /// Takes the locks of <paramref name="shard"/> and runs <paramref name="underLayoutLock"/> (the layout check and
    /// manifest creation) while the layout lock is held; <paramref name="writer"/> words the refusals.
    /// </summary>
    public static OutputFolderLocks Acquire(string directory, ShardSpec shard, OutputWriter writer, Action underLayoutLock)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(underLayoutLock);
        var locks = new OutputFolderLocks(writer);
        try
        {
            using var layout = locks.WaitFor(Path.Combine(directory, CacheLayout.LockFile + ".layout"), TimeSpan.FromSeconds(30), directory);
            if (shard.IsAll)
            {
                locks.Take(directory, CacheLayout.LockFile, exclusive: true, $"another {writer.Noun} (or a shard of one) is writing to it");
            }
            else
            {
                locks.Take(directory, CacheLayout.LockFile, exclusive: false, $"an unsharded {writer.Noun} is writing to it");
                foreach (var other in Directory.EnumerateFiles(directory, CacheLayout.LockFile + ".count-*"))
                {
                    if (other.EndsWith($".count-{shard.Count}", StringComparison.Ordinal)) continue;
                    // Held by a running shard of another N: probing it exclusively fails. Free: nobody uses that layout now.
                    using var probe = TryOpen(other, exclusive: true);
                    if (probe is null)
                        throw writer.Refusal($"Shards of another count are writing into '{directory}' now ({Path.GetFileName(other)} is held), " +
                                             $"so --shard {shard} would compute their inputs a second time. Use the same N as the running shards, or another {writer.FolderOption}.");
                }
                locks.Take(directory, $"{CacheLayout.LockFile}.count-{shard.Count}", exclusive: false, "");
                locks.Take(directory, $"{CacheLayout.LockFile}.{shard.FileTag}", exclusive: true, $"shard {shard} is already running on it");
            }
            underLayoutLock();
            return locks;
        }
        catch
        {
            locks.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        for (var i = _held.Count - 1; i >= 0; i--) _held[i].Dispose();
        _held.Clear();
    }

    private void Take(string directory, string name, bool exclusive, string whyRefused)
    {
        var stream = TryOpen(Path.Combine(directory, name), exclusive)
            ?? throw _writer.Refusal($"Cannot {_writer.Verb} into '{directory}': {whyRefused} ({name} is locked). " +
                                     $"Wait for that run to finish, or {_writer.Verb} into another folder ({_writer.FolderOption}).");
        _held.Add(stream);
    }

    /// <summary>
    /// .NET takes flock LOCK_EX for FileShare.None and LOCK_SH otherwise (non-blocking). Shared locks are opened for
    /// reading only: .NET skips LOCK_SH on a file opened for writing on NFS and Lustre, where clusters keep their data.
    /// Null when another process holds a conflicting lock.
    /// </summary>
    private static FileStream? TryOpen(string path, bool exclusive)
    {
        try
        {
            if (!File.Exists(path)) new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete).Dispose();
            return exclusive
                ? new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None)
                : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (IOException) { return null; }
    }

    /// <summary>The layout lock is held for milliseconds: wait for it rather than refuse.</summary>
    private FileStream WaitFor(string path, TimeSpan timeout, string directory)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (TryOpen(path, exclusive: true) is { } stream) return stream;
            if (DateTime.UtcNow > deadline)
                throw _writer.Refusal($"'{path}' stayed locked for {timeout.TotalSeconds:F0} s; another run is stuck opening '{directory}'.");
            Thread.Sleep(20);
        }
    }
}

/// <summary>
/// Who writes the folder, for <see cref="OutputFolderLocks"/>' refusals: <paramref name="Verb"/> ("extract"),
/// <paramref name="Noun"/> ("extraction"), the command's folder option ("--cache") and the module's exception.
/// </summary>
public sealed record OutputWriter(string Verb, string Noun, string FolderOption, Func<string, OnnxTransferException> Refusal);
