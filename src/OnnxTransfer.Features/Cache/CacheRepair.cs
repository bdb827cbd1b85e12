using OnnxTransfer.Features.Output;
using OnnxTransfer.Features.Views;
using OnnxTransfer.Formats;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Features.Cache;

/// <summary>
/// What <see cref="CacheRepair.Run"/> did: the manifest it wrote (or found intact), where each field came from, the
/// fields nobody recorded (left out, never guessed), the parts it checked, the damaged ones it did not trust, and the
/// completion the marker files record.
/// </summary>
public sealed record CacheRepairResult(
    string Directory,
    bool WasIntact,
    string Damage,
    CacheManifest Manifest,
    IReadOnlyDictionary<string, string> Sources,
    IReadOnlyList<string> Unrecovered,
    int PartsChecked,
    long RowsChecked,
    IReadOnlyList<DamagedPart> Damaged,
    CacheCompletion Completion);

/// <summary>
/// <c>onnxtransfer cache repair</c>: rebuilds a missing or damaged <c>_manifest.json</c> from the parts, which record
/// the fingerprint, dimension, numerics, backbone name and feature tensor, plus what of the damaged file is still
/// readable (<see cref="CacheManifestRemains"/>: model path, creation time and tool). Every part is checked against its
/// sha256 and read to the last value first; a damaged part is named and not trusted. Refused, with nothing written, when
/// there are no parts, no part can be trusted, the parts disagree (fingerprints; numerics unless mixing is allowed), or
/// a field the cache cannot be read without (fingerprint, numerics) is recorded nowhere. The informative fields (backbone
/// name, feature tensor, model path, created_by/at) that nothing records are left out and listed, never made up. Runs under the cache's exclusive lock, so never beside an
/// extraction, and writes the manifest atomically. Completion is not the manifest's to say: the marker files
/// (<see cref="CacheCompletion"/>) keep saying it, and without them the cache reads as unfinished.
/// </summary>
public static class CacheRepair
{
    public static CacheRepairResult Run(string directory, bool allowMixedNumerics = false)
    {
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full)) throw new CacheException($"No cache at '{full}': the folder does not exist.");
        var manifestPath = Path.Combine(full, CacheLayout.ManifestFile);
        var embeddingParts = EmbeddingCache.ListParts(full);
        var errorParts = EmbeddingCache.ListParts(Path.Combine(full, CacheLayout.ErrorsFolder));
        if (embeddingParts.Count + errorParts.Count == 0)
            throw new CacheException($"'{full}' holds no cache parts (part-*.parquet), so there is nothing to rebuild {CacheLayout.ManifestFile} from. " +
                                     "Extract into it again (`onnxtransfer extract --cache`).");

        var writer = new OutputWriter("repair", "extraction", "--cache",
            message => new CacheException($"The manifest is not repaired while another run writes the cache. {message}"));
        using var locks = OutputFolderLocks.Acquire(full, ShardSpec.All, writer, () => { });

        var damage = Diagnose(manifestPath);
        if (damage is null)
        {
            using var intact = EmbeddingCache.Open(full);
            return new CacheRepairResult(full, true, "", intact.Manifest, new Dictionary<string, string>(), [], 0, 0, [], CacheCompletion.Read(intact));
        }

        var remains = CacheManifestRemains.Read(manifestPath);
        var checkedParts = embeddingParts.Select(f => CheckedPart.Of(f, isEmbeddingPart: true))
            .Concat(errorParts.Select(f => CheckedPart.Of(f, isEmbeddingPart: false)))
            .ToArray();
        var partChecksums = remains.PartChecksums ?? checkedParts.All(p => p.HasChecksumFile);
        var trusted = checkedParts.Where(p => p.Problem is null && (p.HasChecksumFile || !partChecksums)).ToArray();
        var damaged = checkedParts.Where(p => !trusted.Contains(p))
            .Select(p => new DamagedPart(p.File, p.Problem ?? $"The cache part '{p.File}' has no checksum file, so its content cannot be trusted. {EmbeddingCache.DamagedPartFix(p.File)}"))
            .ToArray();
        if (trusted.Length == 0)
            throw new CacheException($"No part of '{full}' can be trusted, so {CacheLayout.ManifestFile} cannot be rebuilt from them: " +
                                     string.Join(" ", damaged.Select(d => d.Problem)));

        var fingerprint = AgreedFingerprint(trusted, remains, full);
        var sources = new Dictionary<string, string>(StringComparer.Ordinal) { ["fingerprint"] = "the parts", ["numerics"] = "the parts" };
        var unrecovered = new List<string>();
        var manifest = new CacheManifest
        {
            Fingerprint = fingerprint,
            Numerics = AgreedNumerics(trusted, allowMixedNumerics, full),
            PartChecksums = partChecksums,
            BackboneName = Field("backbone.name", Agreed(trusted, p => p.Metadata.BackboneName, "the backbone's name"), remains.BackboneName,
                null, sources, unrecovered) ?? "",
            FeatureTensor = Field("backbone.feature_tensor", Agreed(trusted, p => p.Metadata.FeatureTensor, "the feature tensor"), remains.FeatureTensor,
                FingerprintTensor(fingerprint), sources, unrecovered) ?? "",
            ModelPath = Field("backbone.model_path", null, remains.ModelPath, null, sources, unrecovered),
            CreatedBy = Field("created_by", null, remains.CreatedBy, FirstWriter(trusted), sources, unrecovered) ?? "",
            CreatedAt = remains.CreatedAt,
            Views = AgreedViews(trusted, full, sources),
        };
        sources["part_checksums"] = remains.PartChecksums is null ? "the parts' checksum files" : "the damaged manifest";
        if (remains.CreatedAt is null) unrecovered.Add("created_at");
        else sources["created_at"] = "the damaged manifest";
        manifest.Write(manifestPath);
        using var cache = EmbeddingCache.Open(full);
        return new CacheRepairResult(full, false, damage, manifest, sources, unrecovered, checkedParts.Length,
            trusted.Sum(p => p.Rows), damaged, CacheCompletion.Read(cache));
    }

    /// <summary>Why the manifest needs repair, or null when it reads as a manifest.</summary>
    private static string? Diagnose(string manifestPath)
    {
        if (!File.Exists(manifestPath)) return $"{CacheLayout.ManifestFile} is missing";
        try
        {
            CacheManifest.Read(manifestPath);
            return null;
        }
        catch (FormatException e) when (IsNewerVersion(manifestPath))
        {
            throw new CacheException($"{e.Message} It is not damaged: cache repair leaves it as it is.", e);
        }
        catch (FormatException e) { return e.Message; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return e.Message; }
    }

    /// <summary>A whole manifest of a newer format version: refused by the reader, but not damaged, so never overwritten.</summary>
    private static bool IsNewerVersion(string manifestPath)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(manifestPath));
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                   && document.RootElement.TryGetProperty("version", out var version) && version.TryGetInt32(out var number)
                   && number > CacheLayout.FormatVersion;
        }
        catch (System.Text.Json.JsonException) { return false; }
    }

    /// <summary>The one fingerprint of every trusted part; parts of two caches mixed are refused, naming them.</summary>
    private static BackboneFingerprint AgreedFingerprint(CheckedPart[] trusted, CacheManifestRemains remains, string directory)
    {
        var groups = trusted.GroupBy(p => p.Metadata.FingerprintSha256 ?? "(none)").ToArray();
        if (groups.Length > 1)
            throw new CacheException($"The parts of '{directory}' come from {groups.Length} different caches (backbone fingerprints): " +
                                     string.Join("; ", groups.Select(g => $"{Short(g.Key)} in {Names(g)}")) +
                                     ". Move the parts that do not belong out of the folder (each with its .sha256), then run cache repair again.");
        var part = trusted[0];
        if (part.Metadata.Fingerprint is not { } fingerprint || BackboneFingerprint.Parse(fingerprint.Json).Sha256 != fingerprint.Sha256)
            throw new CacheException($"The part '{part.File}' records no valid backbone fingerprint, so it was not written by `onnxtransfer extract`; " +
                                     "cache repair rebuilds manifests of extract's caches only.");
        if (remains.FingerprintSha256 is { } said && said != fingerprint.Sha256)
            throw new CacheException($"What is left of {CacheLayout.ManifestFile} in '{directory}' names fingerprint {Short(said)}, but its parts were written " +
                                     $"with {Short(fingerprint.Sha256)}: the parts are not that manifest's cache. Move them to a folder of their own and repair that one.");
        return fingerprint;
    }

    /// <summary>
    /// The numerics of the embedding parts, each once, in part order; more than one only when the caller allows it
    /// (a cache extracted with --allow-mixed-numerics), else refused naming a part of each.
    /// </summary>
    private static IReadOnlyList<EmbeddingNumerics> AgreedNumerics(CheckedPart[] trusted, bool allowMixed, string directory)
    {
        var embedding = trusted.Where(p => p.IsEmbeddingPart).ToArray();
        if (embedding.Length == 0)
            throw new CacheException($"'{directory}' has error parts only, and the numerics the manifest records are kept in embedding parts: " +
                                     "they cannot be recovered. Extract into a new folder.");
        var seen = new List<(EmbeddingNumerics Numerics, List<CheckedPart> Parts)>();
        foreach (var part in embedding)
        {
            var numerics = part.Metadata.Numerics;
            var match = seen.FindIndex(s => s.Numerics.SameNumbersAs(numerics) || (s.Numerics.IsUnknown && numerics.IsUnknown));
            if (match < 0) seen.Add((numerics, [part]));
            else seen[match].Parts.Add(part);
        }
        if (seen.Count > 1 && !allowMixed)
            throw new CacheException($"The parts of '{directory}' were computed with {seen.Count} different numerics: " +
                                     string.Join("; ", seen.Select(s => $"{s.Numerics.Describe()} in {Names(s.Parts)}")) +
                                     ". If the cache was extracted with --allow-mixed-numerics, repair it with --allow-mixed-numerics; " +
                                     "otherwise move the parts that do not belong out of the folder.");
        return seen.Select(s => s.Numerics).ToArray();
    }

    /// <summary>
    /// The views of a cache extracted with views: every view id its embedding parts' view column holds (the original
    /// first); null when no part has the column. Parts with and without the column are two caches mixed: refused.
    /// </summary>
    private static CacheView[]? AgreedViews(CheckedPart[] trusted, string directory, Dictionary<string, string> sources)
    {
        var embedding = trusted.Where(p => p.IsEmbeddingPart).ToArray();
        var withViews = embedding.Where(p => p.ViewIds is not null).ToArray();
        if (withViews.Length == 0) return null;
        if (withViews.Length < embedding.Length)
            throw new CacheException($"Some parts of '{directory}' have a '{CacheLayout.ViewColumn}' column ({Names(withViews)}) and some do not " +
                                     $"({Names(embedding.Except(withViews))}): a cache with views and one without are mixed. Move the parts that do not belong out of the folder.");
        sources["views"] = "the parts' view column";
        return [.. withViews.SelectMany(p => p.ViewIds!).Append(CacheLayout.OriginalViewId).Distinct().Order().Select(id =>
            InputView.FindById(id)?.ToCacheView()
            ?? throw new CacheException($"The parts of '{directory}' hold rows of view {id}, which this version of OnnxTransfer does not know; update it to repair this cache."))];
    }

    /// <summary>The one value the parts that record <paramref name="read"/> agree on; null when none records it.</summary>
    private static string? Agreed(CheckedPart[] trusted, Func<CheckedPart, string?> read, string what)
    {
        var values = trusted.Select(read).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        if (values.Length > 1)
            throw new CacheException($"The parts disagree on {what} ({string.Join(", ", values.Select(v => $"'{v}'"))}) although they share one fingerprint; " +
                                     "move the parts that do not belong out of the folder.");
        return values.SingleOrDefault();
    }

    /// <summary>Takes a field from the parts, else the damaged manifest, else <paramref name="derived"/>; notes where from or that nobody knows.</summary>
    private static string? Field(string name, string? fromParts, string? fromRemains, (string Value, string Source)? derived,
        Dictionary<string, string> sources, List<string> unrecovered)
    {
        if (fromParts is not null) { sources[name] = "the parts"; return fromParts; }
        if (fromRemains is not null) { sources[name] = "the damaged manifest"; return fromRemains; }
        if (derived is { } d) { sources[name] = d.Source; return d.Value; }
        unrecovered.Add(name);
        return null;
    }

    /// <summary>The fingerprint's features.tensor (the feature tensor the backbone was cut at), for parts older than that key.</summary>
    private static (string, string)? FingerprintTensor(BackboneFingerprint fingerprint)
    {
        using var document = System.Text.Json.JsonDocument.Parse(fingerprint.Json);
        return document.RootElement.TryGetProperty("features", out var features) && features.ValueKind == System.Text.Json.JsonValueKind.Object
               && features.TryGetProperty("tensor", out var tensor) && tensor.ValueKind == System.Text.Json.JsonValueKind.String
            ? (tensor.GetString()!, "the fingerprint")
            : null;
    }

    /// <summary>The tool that wrote the first part (Parquet's created_by, "onnxtransfer X.Y.Z (OnnxTransfer.Parquet)").</summary>
    private static (string, string)? FirstWriter(CheckedPart[] trusted)
    {
        var first = trusted.FirstOrDefault(p => p.Metadata.WrittenBy?.StartsWith("onnxtransfer ", StringComparison.Ordinal) == true);
        if (first is null) return null;
        var writtenBy = first.Metadata.WrittenBy!;
        var cut = writtenBy.IndexOf(" (", StringComparison.Ordinal);
        return (cut < 0 ? writtenBy : writtenBy[..cut], $"the footer of {Path.GetFileName(first.File)}");
    }

    private static int[]? ViewIdsOf(ParquetFileReader reader) => !reader.Schema.Contains(CacheLayout.ViewColumn) ? null
        : [.. Enumerable.Range(0, reader.RowGroupCount).SelectMany(g => reader.OpenRowGroup(g).ReadValues<int>(CacheLayout.ViewColumn)).Distinct()];

    private static string Names(IEnumerable<CheckedPart> parts)
    {
        var names = parts.Select(p => Path.GetRelativePath(Path.GetDirectoryName(p.File)!, p.File)).ToArray();
        return string.Join(", ", names.Take(4)) + (names.Length > 4 ? $" and {names.Length - 4} more" : "");
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;

    /// <summary>One part as repair sees it: its checksum checked, its metadata and every value read; a problem when any failed.</summary>
    private sealed record CheckedPart(string File, bool IsEmbeddingPart, bool HasChecksumFile, CachePartMetadata Metadata, long Rows, string? Problem)
    {
        /// <summary>The distinct view ids of an embedding part with a view column; null without one.</summary>
        public int[]? ViewIds { get; init; }

        public static CheckedPart Of(string file, bool isEmbeddingPart)
        {
            var checksum = FileChecksum.Verify(file);
            if (checksum.Status == FileChecksumStatus.Mismatch)
                return new CheckedPart(file, isEmbeddingPart, true, new CachePartMetadata(), 0,
                    $"The cache part '{file}' {checksum.Describe(file)}. {EmbeddingCache.DamagedPartFix(file)}");
            try
            {
                using var reader = ParquetFileReader.Open(file);
                var metadata = CachePartMetadata.Read(reader);
                var rows = reader.ReadEveryValue();
                return new CheckedPart(file, isEmbeddingPart, checksum.Status == FileChecksumStatus.Verified, metadata, rows, null) { ViewIds = ViewIdsOf(reader) };
            }
            catch (ParquetFormatException e)
            {
                return new CheckedPart(file, isEmbeddingPart, checksum.Status == FileChecksumStatus.Verified, new CachePartMetadata(), 0,
                    $"The cache part '{file}' is damaged ({e.Problem ?? e.Message}). {EmbeddingCache.DamagedPartFix(file)}");
            }
        }
    }
}
