using System.Globalization;
using OnnxTransfer.Features.Output;
using OnnxTransfer.Formats;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Features.Cache;

/// <summary>
/// An embedding cache folder (docs/formats.md): <c>_manifest.json</c>, <c>part-NNNNN.parquet</c> embedding parts and
/// <c>_errors/part-NNNNN.parquet</c> error parts. Opened for writing it holds an exclusive lock (<c>.lock</c>), so two
/// runs never write one cache; the lock dies with the process, even on kill -9.
/// </summary>
public sealed class EmbeddingCache : IDisposable
{
    private readonly OutputFolderLocks? _lock;

    private EmbeddingCache(string directory, CacheManifest manifest, OutputFolderLocks? locks, ShardSpec shard)
    {
        Directory = directory;
        Manifest = manifest;
        _lock = locks;
        Shard = shard;
    }

    /// <summary>The shard this instance writes (<see cref="ShardSpec.All"/> for an unsharded run or a reader).</summary>
    public ShardSpec Shard { get; }

    /// <summary>The cache folder (absolute).</summary>
    public string Directory { get; }

    public CacheManifest Manifest { get; private set; }

    public BackboneFingerprint Fingerprint => Manifest.Fingerprint;

    public int Dimension => Manifest.Dimension;

    /// <summary>True when this instance holds the write lock.</summary>
    public bool IsWritable => _lock is not null;

    /// <summary>
    /// Parquet writer settings of every part (Snappy, v1 pages: what every Parquet reader handles), with a CRC-32 in
    /// every page header (DuckDB, pyarrow and our reader check it) and a sha256 of the whole part beside it
    /// (<c>part-NNNNN.parquet.sha256</c>), which covers the bytes no page CRC covers (page headers, footer).
    /// </summary>
    internal static ParquetWriterOptions PartOptions { get; } = new()
    {
        CreatedBy = $"{CacheManifest.ToolVersion} (OnnxTransfer.Parquet)",
        WritePageChecksums = true,
        WriteFileChecksum = true,
    };

    /// <summary>Whether <paramref name="directory"/> is a cache (has a manifest).</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, CacheLayout.ManifestFile));

    /// <summary>Opens an existing cache to read it (no lock: reading while a run appends sees the parts completed so far).</summary>
    public static EmbeddingCache Open(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full)) throw new CacheException($"No cache at '{full}': the folder does not exist.");
        var manifest = Path.Combine(full, CacheLayout.ManifestFile);
        if (!File.Exists(manifest))
            throw new CacheException(ListParts(full).Count > 0
                ? $"'{full}' has cache parts but no {CacheLayout.ManifestFile}. {CacheManifest.RepairHint(manifest)}"
                : $"'{full}' is not an embedding cache (it has no {CacheLayout.ManifestFile}). Name the folder `onnxtransfer extract --cache` wrote.");
        return new EmbeddingCache(full, ReadManifest(manifest), null, ShardSpec.All);
    }

    /// <summary>Reads a cache's <c>_manifest.json</c> (<see cref="CacheManifest"/>); a damaged, newer or unreadable one is a <see cref="CacheException"/>.</summary>
    public static CacheManifest ReadManifest(string path)
    {
        try { return CacheManifest.Read(path); }
        catch (FormatException e) { throw new CacheException(e.Message, e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CacheException($"Cannot read the cache manifest '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Opens <paramref name="directory"/> for an extraction with <paramref name="requested"/>'s fingerprint: creates
    /// the cache in a new or empty folder, continues a cache with the same fingerprint, and refuses one with another
    /// (<see cref="CacheFingerprintMismatchException"/>) unless <paramref name="replace"/> is set, which deletes the
    /// cache's own files (manifest and parts, nothing else) and starts over. A non-empty folder that is not a cache is
    /// refused either way. A cache of the same fingerprint but other numerics (<see cref="CacheManifest.Numerics"/>;
    /// unknown for caches made before they were recorded) is refused with <see cref="CacheNumericsMismatchException"/>
    /// unless <paramref name="allowMixedNumerics"/> is set, which adds this run's numerics to the manifest.
    /// </summary>
    public static EmbeddingCache OpenForWriting(string directory, CacheManifest requested, bool replace = false, bool allowMixedNumerics = false) =>
        OpenForWriting(directory, requested, ShardSpec.All, replace, allowMixedNumerics);

    /// <summary>
    /// As <see cref="OpenForWriting(string, CacheManifest, bool, bool)"/>, for shard <paramref name="shard"/> of a scale-out
    /// extraction: its parts are named by the shard (<c>part-00000.shard-K-of-N.parquet</c>), so N workers fill one
    /// folder side by side (<see cref="OutputFolderLocks"/> says which runs may share it). <paramref name="replace"/> is
    /// refused for a shard: deleting the cache would delete the other shards' work.
    /// </summary>
    public static EmbeddingCache OpenForWriting(string directory, CacheManifest requested, ShardSpec shard, bool replace = false, bool allowMixedNumerics = false)
    {
        ArgumentNullException.ThrowIfNull(requested);
        var full = Path.GetFullPath(directory);
        if (File.Exists(full)) throw new CacheException($"The cache path '{full}' is a file; name a folder (it is created if missing).");
        if (replace && !shard.IsAll)
            throw new CacheException("--new-cache cannot be combined with --shard: replacing the cache would delete the other shards' parts. " +
                                     "Run one unsharded `extract --new-cache` (or delete the folder) first.");
        System.IO.Directory.CreateDirectory(full);
        CacheManifest manifest = requested;
        var locks = OutputFolderLocks.Acquire(full, shard, new OutputWriter("extract", "extraction", "--cache", message => new CacheException(message)), () =>
        {
            var manifestPath = Path.Combine(full, CacheLayout.ManifestFile);
            RemoveTemporaryFiles(full, shard);
            if (File.Exists(manifestPath))
            {
                var existing = ReadManifest(manifestPath);
                if (existing.Fingerprint.Equals(requested.Fingerprint))
                {
                    manifest = AdmitNumerics(full, manifestPath, existing, requested, allowMixedNumerics);
                    manifest = CacheViewAdmission.Admit(full, manifestPath, manifest, requested);
                    return;
                }
                if (!replace) throw new CacheFingerprintMismatchException(full, existing.Fingerprint, requested.Fingerprint);
                DeleteCacheFiles(full);
            }
            else if (ListParts(full).Count > 0)
            {
                throw new CacheException($"'{full}' has cache parts but no {CacheLayout.ManifestFile}, so which backbone wrote them is not known here. " +
                                         CacheManifest.RepairHint(manifestPath));
            }
            else if (ForeignEntries(full) is { Count: > 0 } foreign)
            {
                throw new CacheException(
                    $"'{full}' is not empty and is not an embedding cache (it holds {string.Join(", ", foreign.Take(3).Select(f => $"'{f}'"))}" +
                    $"{(foreign.Count > 3 ? ", …" : "")} and no {CacheLayout.ManifestFile}). Name a new or empty folder for the cache.");
            }
            requested.Write(manifestPath);
        });
        return new EmbeddingCache(full, manifest, locks, shard);
    }

    /// <summary>
    /// The manifest a continuing run works under: the cache's own when it already holds <paramref name="requested"/>'s
    /// numerics; with <paramref name="allowMixed"/>, the cache's plus this run's (written before any part); else refused.
    /// </summary>
    private static CacheManifest AdmitNumerics(string directory, string manifestPath, CacheManifest existing, CacheManifest requested, bool allowMixed)
    {
        var added = requested.Numerics.Where(n => !existing.Holds(n)).ToArray();
        if (added.Length == 0) return existing;
        if (!allowMixed) throw new CacheNumericsMismatchException(directory, existing.Numerics, added[0]);
        var mixed = existing with { Numerics = [.. existing.Numerics, .. added] };
        mixed.Write(manifestPath);
        return mixed;
    }

    /// <summary>The embedding part files, in name order.</summary>
    public IReadOnlyList<string> PartFiles() => ListParts(Directory);

    /// <summary>The error part files, in name order.</summary>
    public IReadOnlyList<string> ErrorPartFiles() => ListParts(Path.Combine(Directory, CacheLayout.ErrorsFolder));

    /// <summary>Ids already in an embedding part or an error part: a resumed run skips them.</summary>
    public HashSet<string> ReadCompletedIds()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in PartFiles().Concat(ErrorPartFiles()))
        {
            using var reader = OpenPart(file);
            for (var g = 0; g < reader.RowGroupCount; g++)
                foreach (var id in reader.OpenRowGroup(g).ReadStrings(CacheLayout.IdColumn))
                    if (id is not null) ids.Add(id);
        }
        return ids;
    }

    /// <summary>
    /// With views: per input id, the view ids it has a row of, as bits (bit v: view v); −1 (every bit) for an input with
    /// an error row (it cannot be read, so no view of it is pending). A resumed run computes the views whose bit is clear.
    /// </summary>
    public Dictionary<string, int> ReadCompletedViews()
    {
        var views = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var group in RowGroups())
        {
            var ids = group.ReadStrings(CacheLayout.IdColumn);
            var viewIds = group.ReadValues<int>(CacheLayout.ViewColumn);
            for (var i = 0; i < ids.Length; i++) views[ids[i]!] = views.GetValueOrDefault(ids[i]!) | (1 << viewIds[i]);
        }
        foreach (var file in ErrorPartFiles())
        {
            using var reader = OpenPart(file);
            for (var g = 0; g < reader.RowGroupCount; g++)
                foreach (var id in reader.OpenRowGroup(g).ReadStrings(CacheLayout.IdColumn))
                    if (id is not null) views[id] = -1;
        }
        return views;
    }

    /// <summary>
    /// Every embedding row, in part order. In a cache with views, the original view's rows only (one per input, as a
    /// cache without views): what every reader that does not ask for views sees.
    /// </summary>
    public CachedEmbeddings ReadEmbeddings() => ReadEmbeddings(keep: null);

    /// <summary>Every row of every view, in part order, with <see cref="CachedEmbeddings.Views"/> (for a cache with views).</summary>
    public CachedEmbeddings ReadEmbeddingsOfEveryView() => ReadEmbeddings(keep: null, everyView: true);

    /// <summary>Id, source, label and split of every embedding row (original views only), in part order (the embeddings are not read).</summary>
    public IReadOnlyList<CachedRow> ReadRows() => RowGroups().SelectMany(group =>
    {
        var rows = RowsOf(group, group.ReadStrings(CacheLayout.IdColumn));
        if (!Manifest.HasViews) return rows;
        var views = group.ReadValues<int>(CacheLayout.ViewColumn);
        return rows.Where((_, i) => views[i] == CacheLayout.OriginalViewId);
    }).ToList();

    /// <summary>
    /// The rows of <paramref name="ids"/> with their embeddings, in part order; only row groups that hold one of them
    /// have their embeddings read, so a small sample of a large cache stays cheap.
    /// </summary>
    public CachedEmbeddings ReadEmbeddings(IReadOnlySet<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return ReadEmbeddings(ids.Contains);
    }

    /// <summary>
    /// The rows <paramref name="keep"/> accepts (all when null) with their embeddings, in part order; of a cache with
    /// views the original views only, unless <paramref name="everyView"/>.
    /// </summary>
    private CachedEmbeddings ReadEmbeddings(Func<string, bool>? keep, bool everyView = false)
    {
        var dimension = Dimension;
        var kept = new List<CachedRow>();
        var keptViews = new List<int>();
        var blocks = new List<float[]>(); // the kept rows' embeddings, a block per row group, joined once at the end
        foreach (var group in RowGroups())
        {
            var groupIds = group.ReadStrings(CacheLayout.IdColumn);
            if (keep is not null && !Array.Exists(groupIds, id => id is not null && keep(id))) continue;
            var block = new float[group.RowCount * dimension];
            group.ReadFixedSizeList<float>(CacheLayout.EmbeddingColumn, dimension, block);
            var rows = RowsOf(group, groupIds);
            var views = Manifest.HasViews ? group.ReadValues<int>(CacheLayout.ViewColumn) : null;
            if (keep is null && (views is null || everyView))
            {
                kept.AddRange(rows);
                if (views is not null) keptViews.AddRange(views);
                blocks.Add(block);
                continue;
            }
            var count = 0; // the kept rows move to the front of the block, in order
            for (var i = 0; i < rows.Length; i++)
            {
                if (keep is not null && !keep(rows[i].Id)) continue;
                if (views is not null && !everyView && views[i] != CacheLayout.OriginalViewId) continue;
                kept.Add(rows[i]);
                if (views is not null) keptViews.Add(views[i]);
                block.AsSpan(i * dimension, dimension).CopyTo(block.AsSpan(count++ * dimension));
            }
            blocks.Add(block[..(count * dimension)]);
        }
        var all = new float[checked(kept.Count * dimension)];
        var at = 0;
        foreach (var block in blocks)
        {
            block.CopyTo(all, at);
            at += block.Length;
        }
        return new CachedEmbeddings(kept.Select(r => r.Id).ToArray(), kept.Select(r => r.Source).ToArray(), kept.Select(r => r.Label).ToArray(),
            kept.Select(r => r.Split).ToArray(), all, dimension) { Views = everyView && Manifest.HasViews ? keptViews.ToArray() : null };
    }

    /// <summary>Every row group of the embedding parts, in part order (each part is closed once its groups are read).</summary>
    private IEnumerable<ParquetRowGroupReader> RowGroups()
    {
        foreach (var file in PartFiles())
        {
            using var reader = OpenPart(file);
            for (var g = 0; g < reader.RowGroupCount; g++) yield return reader.OpenRowGroup(g);
        }
    }

    /// <summary>The id, source, label and split of each row of <paramref name="group"/> (its ids already read).</summary>
    private static CachedRow[] RowsOf(ParquetRowGroupReader group, string?[] ids)
    {
        var sources = group.ReadStrings(CacheLayout.SourceColumn);
        var labels = group.ReadStrings(CacheLayout.LabelColumn);
        var splits = group.ReadStrings(CacheLayout.SplitColumn);
        var rows = new CachedRow[ids.Length];
        for (var i = 0; i < rows.Length; i++) rows[i] = new CachedRow(ids[i]!, sources[i]!, labels[i], splits[i]);
        return rows;
    }

    /// <summary>Every error row, in part order.</summary>
    public IReadOnlyList<ErrorRow> ReadErrors() => ErrorPartFiles().SelectMany(ReadErrorPart).ToList();

    /// <summary>The error rows of one error part file.</summary>
    private List<ErrorRow> ReadErrorPart(string file)
    {
        var rows = new List<ErrorRow>();
        using var reader = OpenPart(file);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var group = reader.OpenRowGroup(g);
            var ids = group.ReadStrings(CacheLayout.IdColumn);
            var sources = group.ReadStrings(CacheLayout.SourceColumn);
            var labels = group.ReadStrings(CacheLayout.LabelColumn);
            var splits = group.ReadStrings(CacheLayout.SplitColumn);
            var reasons = group.ReadStrings(CacheLayout.ReasonColumn);
            var messages = group.ReadStrings(CacheLayout.MessageColumn);
            for (var i = 0; i < ids.Length; i++)
                rows.Add(new ErrorRow(ids[i]!, sources[i]!, labels[i], splits[i], reasons[i]!, messages[i]!));
        }
        return rows;
    }

    /// <summary>
    /// Removes the error rows of <paramref name="ids"/> so that a run tries those inputs again. Each error part is
    /// rewritten atomically without them (or deleted when nothing is left); if this is interrupted, the inputs whose
    /// rows are already gone are simply pending, which is what was asked.
    /// </summary>
    /// <returns>How many error rows were removed.</returns>
    public int RemoveErrorRows(IReadOnlySet<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        EnsureWritable();
        var removed = 0;
        foreach (var file in ErrorPartFiles())
        {
            var rows = ReadErrorPart(file);
            var kept = rows.Where(r => !ids.Contains(r.Id)).ToList();
            if (kept.Count == rows.Count) continue;
            removed += rows.Count - kept.Count;
            if (kept.Count == 0)
            {
                File.Delete(file);
                File.Delete(FileChecksum.SidecarOf(file));
            }
            else ErrorPartWriter.Write(file, kept, ErrorPartMetadata(), PartOptions);
        }
        return removed;
    }

    /// <summary>The next free part index of this instance's shard (after every embedding and error part of it).</summary>
    internal int NextPartIndex()
    {
        var next = 0;
        foreach (var file in PartFiles().Concat(ErrorPartFiles()))
            if (CacheLayout.ParsePartName(Path.GetFileName(file)) is { } part && part.Shard == Shard)
                next = Math.Max(next, part.Index + 1);
        return next;
    }

    internal EmbeddingPartWriter BeginPart(int index, RowGroupBuffer buffer, IReadOnlyList<string> providers, EmbeddingNumerics numerics)
    {
        EnsureWritable();
        if (buffer.Dimension != Dimension) throw new ArgumentException($"Rows of {buffer.Dimension} floats for a cache of {Dimension}.", nameof(buffer));
        if (!Manifest.Holds(numerics))
            throw new CacheNumericsMismatchException(Directory, Manifest.Numerics, numerics); // the pipeline checks first; this is the last guard
        var metadata = CachePartMetadata.Entries(Fingerprint, Dimension, providers, numerics, Manifest.BackboneName, Manifest.FeatureTensor);
        return new EmbeddingPartWriter(Path.Combine(Directory, CacheLayout.PartName(index, Shard)), buffer, metadata, PartOptions, Manifest.HasViews);
    }

    /// <summary>The numerics recorded in one embedding part (unknown for parts written before they were recorded).</summary>
    public EmbeddingNumerics ReadPartNumerics(string file)
    {
        using var reader = OpenPart(file);
        return CachePartMetadata.Read(reader).Numerics;
    }

    internal void WriteErrorPart(int index, IReadOnlyList<ErrorRow> rows)
    {
        EnsureWritable();
        ErrorPartWriter.Write(Path.Combine(Directory, CacheLayout.ErrorsFolder, CacheLayout.PartName(index, Shard)), rows, ErrorPartMetadata(), PartOptions);
    }

    public void Dispose() => _lock?.Dispose();

    private List<KeyValuePair<string, string>> ErrorPartMetadata() =>
        CachePartMetadata.Entries(Fingerprint, Dimension, [], numerics: null, Manifest.BackboneName, Manifest.FeatureTensor);

    /// <summary>
    /// Opens a part after checking its sha256 (every byte; a part without a checksum file is refused in a cache that
    /// records them) and that it belongs to this cache (a part copied in from another cache is refused).
    /// </summary>
    internal ParquetFileReader OpenPart(string file)
    {
        if (Manifest.PartChecksums && !File.Exists(FileChecksum.SidecarOf(file)))
            throw new CacheException($"The cache part '{file}' has no checksum file ({Path.GetFileName(FileChecksum.SidecarOf(file))}), " +
                                     $"so its content cannot be trusted. {DamagedPartFix(file)}");
        ParquetFileReader reader;
        try { reader = ParquetFileReader.Open(file); }
        catch (ParquetFormatException e)
        {
            throw new CacheException($"The cache part '{file}' is damaged ({e.Problem ?? e.Message}). {DamagedPartFix(file)}", e);
        }
        var sha = CachePartMetadata.Read(reader).FingerprintSha256;
        if (sha != Fingerprint.Sha256)
        {
            reader.Dispose();
            throw new CacheException(
                $"The cache part '{file}' was written with fingerprint {sha ?? "(none)"}, not this cache's {Fingerprint.Sha256}: it does not belong here. Move it out of the cache.");
        }
        return reader;
    }

    /// <summary>The one fix for a damaged part: its inputs are not in the cache once it is gone, so extract embeds exactly them.</summary>
    internal static string DamagedPartFix(string file) =>
        $"Delete '{Path.GetFileName(file)}' and '{Path.GetFileName(FileChecksum.SidecarOf(file))}' and rerun the same extract command: " +
        "it embeds exactly the inputs of that part again.";

    private void EnsureWritable()
    {
        if (_lock is null) throw new InvalidOperationException("The cache was opened for reading; use EmbeddingCache.OpenForWriting.");
    }

    /// <summary>The part files of <paramref name="folder"/> (a cache folder or its _errors), in name order.</summary>
    internal static IReadOnlyList<string> ListParts(string folder)
    {
        if (!System.IO.Directory.Exists(folder)) return [];
        return System.IO.Directory.EnumerateFiles(folder, "part-*.parquet")
            .Where(f => CacheLayout.ParsePartName(Path.GetFileName(f)) is not null)
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>
    /// Hidden temporary files of runs that were killed mid-write: never part of the cache, safe to delete under the lock.
    /// A shard deletes only its own (the other shards may be writing theirs now); an unsharded run, which excludes all
    /// others, deletes every one.
    /// </summary>
    private static void RemoveTemporaryFiles(string directory, ShardSpec shard)
    {
        var own = shard.IsAll ? ".*.tmp" : $".part-*.{shard.FileTag}.parquet*.tmp";
        foreach (var folder in new[] { directory, Path.Combine(directory, CacheLayout.ErrorsFolder) })
        {
            if (!System.IO.Directory.Exists(folder)) continue;
            foreach (var file in System.IO.Directory.EnumerateFiles(folder, own))
                TryDelete(file);
        }
    }

    private static void DeleteCacheFiles(string directory)
    {
        var errors = Path.Combine(directory, CacheLayout.ErrorsFolder);
        foreach (var part in ListParts(directory).Concat(ListParts(errors)))
        {
            File.Delete(part);
            File.Delete(FileChecksum.SidecarOf(part));
        }
        if (System.IO.Directory.Exists(errors) && !System.IO.Directory.EnumerateFileSystemEntries(errors).Any()) System.IO.Directory.Delete(errors);
        CacheCompletion.DeleteMarkers(directory);
        File.Delete(Path.Combine(directory, CacheLayout.ManifestFile));
    }

    private static List<string> ForeignEntries(string directory) =>
        System.IO.Directory.EnumerateFileSystemEntries(directory)
            .Select(Path.GetFileName)
            .Where(name => name is not null && !name.StartsWith(CacheLayout.LockFile, StringComparison.Ordinal)
                           && !(name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal)))
            .Select(name => name!)
            .Order(StringComparer.Ordinal)
            .ToList();

    private static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
