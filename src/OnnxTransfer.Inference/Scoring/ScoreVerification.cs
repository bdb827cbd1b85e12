using OnnxTransfer.Features.Cache;
using OnnxTransfer.Formats;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Inference.Scoring;

/// <summary>
/// The result of <see cref="Verify"/>: every part of a scores folder (all shards, Parquet and CSV) checked against its
/// <c>.sha256</c> and, for Parquet, read to the last value (every page CRC checked), for <c>onnxtransfer score verify</c>.
/// </summary>
public sealed record ScoreVerification(string Directory, int PartsChecked, long RowsChecked, IReadOnlyList<DamagedPart> Damaged)
{
    private static readonly ParquetReaderOptions AfterChecksum = new() { VerifyFileChecksums = false };

    public bool IsIntact => Damaged.Count == 0;

    /// <exception cref="ScoreOutputException">The folder does not exist or holds no scoring run.</exception>
    public static ScoreVerification Verify(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full) || !System.IO.Directory.EnumerateFiles(full, "_manifest*.json").Any())
            throw new ScoreOutputException($"'{full}' is not a scores folder (no _manifest*.json): name the --out of a score run.");
        var damaged = new List<DamagedPart>();
        var parts = System.IO.Directory.EnumerateFiles(full, "part-*")
            .Where(f => ScoreLayout.TagOf(Path.GetFileName(f)) is not null).Order(StringComparer.Ordinal).ToArray();
        long rows = 0;
        foreach (var file in parts)
        {
            if (Check(file) is { } problem) damaged.Add(new DamagedPart(file, problem));
            else if (file.EndsWith(ScoreLayout.Extension(ScoreFormat.Parquet), StringComparison.Ordinal))
            {
                try
                {
                    using var reader = ParquetFileReader.Open(file, AfterChecksum);
                    rows += reader.ReadEveryValue();
                }
                catch (ParquetFormatException e) { damaged.Add(new DamagedPart(file, $"The score part '{file}' is damaged ({e.Problem ?? e.Message}). {DamagedPartFix(file)}")); }
            }
            else rows += ScorePartReader.Count(file, ScoreFormat.Csv).Rows;
        }
        return new ScoreVerification(full, parts.Length, rows, damaged);
    }

    /// <summary>
    /// What is wrong with a part's bytes (its checksum file is missing, damaged or records other bytes), naming the part
    /// and the fix; null when they are the bytes written. A rerun checks each part it keeps with it.
    /// </summary>
    internal static string? Check(string file)
    {
        var checksum = FileChecksum.Verify(file);
        return checksum.Status == FileChecksumStatus.Verified ? null : $"The score part '{file}' {checksum.Describe(file)}. {DamagedPartFix(file)}";
    }

    /// <summary>The one fix for a damaged part: part i always holds the same inputs, so a rerun scores exactly them again.</summary>
    internal static string DamagedPartFix(string file) =>
        $"Delete '{Path.GetFileName(file)}' and '{Path.GetFileName(FileChecksum.SidecarOf(file))}' and rerun the same score command: " +
        "it scores exactly the inputs of that part again.";
}
