using System.Globalization;
using System.Text;

namespace OnnxTransfer.Formats;

/// <summary>
/// Which share of the inputs one worker scores: shard <see cref="Index"/> of <see cref="Count"/> takes the inputs whose
/// stable id hash modulo <see cref="Count"/> is <see cref="Index"/>. The hash is FNV-1a 64 over the id's UTF-8 bytes —
/// the same on every machine, process and .NET version (unlike <c>string.GetHashCode</c>) — so N workers started by a
/// scheduler split the inputs without talking to each other, and their outputs union to the unsharded run.
/// </summary>
public readonly record struct ShardSpec
{
    public ShardSpec(int index, int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "The shard count must be at least 1.");
        if (index < 0 || index >= count) throw new ArgumentOutOfRangeException(nameof(index), index, $"The shard index must be 0 to {count - 1} (0-based).");
        Index = index;
        Count = count;
    }

    /// <summary>The whole input: one shard.</summary>
    public static ShardSpec All => new(0, 1);

    /// <summary>0-based shard index (Kubernetes' JOB_COMPLETION_INDEX; Slurm's SLURM_ARRAY_TASK_ID with --array=0-(N-1)).</summary>
    public int Index { get; }

    public int Count { get; }

    public bool IsAll => Count == 1;

    /// <summary>Reads <c>K/N</c> (0 ≤ K &lt; N).</summary>
    /// <exception cref="FormatException">Not of that form; the message shows the form.</exception>
    public static ShardSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/');
        if (slash > 0
            && int.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            && count >= 1 && index < count)
            return new ShardSpec(index, count);
        throw new FormatException($"--shard \"{text}\" is not K/N with 0 ≤ K < N (e.g. 0/4 … 3/4 for four workers; K is 0-based).");
    }

    /// <summary>Whether the input with <paramref name="id"/> belongs to this shard.</summary>
    public bool Contains(string id) => IsAll || (int)(StableIdHash(id) % (ulong)Count) == Index;

    /// <summary>FNV-1a 64 of the UTF-8 bytes of <paramref name="id"/>.</summary>
    public static ulong StableIdHash(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        const ulong offsetBasis = 14695981039346656037UL, prime = 1099511628211UL;
        Span<byte> stack = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(id.Length);
        var bytes = max <= stack.Length ? stack : new byte[max];
        var length = Encoding.UTF8.GetBytes(id, bytes);
        var hash = offsetBasis;
        foreach (var b in bytes[..length])
        {
            hash ^= b;
            hash *= prime;
        }
        return hash;
    }

    /// <summary>"3-of-4" as used in file names.</summary>
    public string FileTag => string.Create(CultureInfo.InvariantCulture, $"shard-{Index}-of-{Count}");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
