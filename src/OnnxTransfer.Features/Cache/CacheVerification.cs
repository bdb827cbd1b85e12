using OnnxTransfer.Parquet;

namespace OnnxTransfer.Features.Cache;

/// <summary>A part that failed verification, with what is wrong and the fix.</summary>
public sealed record DamagedPart(string File, string Problem);

/// <summary>
/// The result of <see cref="Verify"/>: every embedding and error part checked against its sha256, opened (footer,
/// fingerprint) and read to the last value (every page decompressed, every page CRC checked), for
/// <c>onnxtransfer cache verify</c>.
/// </summary>
public sealed record CacheVerification(string Directory, int PartsChecked, long RowsChecked, IReadOnlyList<DamagedPart> Damaged)
{
    public bool IsIntact => Damaged.Count == 0;

    public static CacheVerification Verify(EmbeddingCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var damaged = new List<DamagedPart>();
        var parts = cache.PartFiles().Concat(cache.ErrorPartFiles()).ToArray();
        long rows = 0;
        foreach (var file in parts)
        {
            try
            {
                using var reader = cache.OpenPart(file);
                rows += reader.ReadEveryValue();
            }
            catch (CacheException e) { damaged.Add(new DamagedPart(file, e.Message)); }
            catch (ParquetFormatException e) { damaged.Add(new DamagedPart(file, $"The cache part '{file}' is damaged ({e.Message}). {EmbeddingCache.DamagedPartFix(file)}")); }
        }
        return new CacheVerification(cache.Directory, parts.Length, rows, damaged);
    }
}
