using System.Globalization;
using System.Text;
using System.Text.Json;
using OnnxTransfer.Formats;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Inference.Scoring;

/// <summary>
/// Writes a complete <see cref="ScorePart"/> atomically: to a hidden temporary file beside the target, flushed to disk,
/// its <c>.sha256</c> written, then renamed. The bytes depend only on the rows (no timestamps), so a rerun rewrites a part identically.
/// </summary>
internal static class ScorePartWriter
{
    /// <summary>The cache's integrity: a CRC-32 in every page header and a <c>.sha256</c> beside the part (docs/formats.md).</summary>
    private static readonly ParquetWriterOptions Options = new()
    {
        CreatedBy = "OnnxTransfer scorer (OnnxTransfer.Parquet)",
        WritePageChecksums = true,
        WriteFileChecksum = true,
    };

    public static void Write(string path, ScorePart part, IReadOnlyList<string> labels, ScoreFormat format, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        if (format == ScoreFormat.Csv) WriteCsv(path, part, labels);
        else WriteParquet(path, part, labels, metadata);
    }

    /// <summary>The temporary name a part is written under: hidden, so no reader glob ever sees it.</summary>
    public static string TemporaryPrefix(string partName) => $".{partName}.";

    private static void WriteParquet(string path, ScorePart part, IReadOnlyList<string> labels, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var n = part.Items.Count;
        var k = part.K;
        string?[] ids = new string?[n], sources = new string?[n], predicted = new string?[n], truth = new string?[n];
        var probability = new float[n];
        var probabilityNull = new bool[n];
        var rowNull = new bool[n];
        var offsets = new int[n + 1];
        var topLabels = new List<string?>(n * k);
        var topProbabilities = new List<float>(n * k);
        for (var i = 0; i < n; i++)
        {
            var item = part.Items[i];
            ids[i] = item.Id;
            sources[i] = item.Source;
            truth[i] = item.Label;
            if (part.ErrorReason[i] is null)
            {
                predicted[i] = labels[part.LabelIndex[i]];
                probability[i] = part.Probability[i];
                for (var j = 0; j < k; j++)
                {
                    topLabels.Add(labels[part.TopIndices[i * k + j]]);
                    topProbabilities.Add(part.TopProbabilities[i * k + j]);
                }
            }
            else
            {
                probabilityNull[i] = true;
                rowNull[i] = true;
            }
            offsets[i + 1] = topLabels.Count;
        }

        using var writer = new ParquetFileWriter(path, part.Ood is null ? ScoreLayout.Schema : ScoreLayout.SchemaWithOod, Options, metadata);
        if (n > 0)
        {
            var group = writer.BeginRowGroup(n);
            group.WriteStrings(ScoreLayout.IdColumn, ids);
            group.WriteStrings(ScoreLayout.SourceColumn, sources);
            group.WriteStrings(ScoreLayout.LabelColumn, predicted);
            group.WriteValues<float>(ScoreLayout.ProbabilityColumn, probability, probabilityNull);
            group.WriteList<string?>(ScoreLayout.TopKLabelsColumn, topLabels.ToArray(), offsets, rowNull);
            group.WriteList<float>(ScoreLayout.TopKProbabilitiesColumn, topProbabilities.ToArray(), offsets, rowNull);
            group.WriteStrings(ScoreLayout.TrueLabelColumn, truth);
            group.WriteStrings(ScoreLayout.ErrorColumn, part.ErrorReason);
            group.WriteStrings(ScoreLayout.ErrorMessageColumn, part.ErrorMessage);
            if (part.Ood is { } ood)
            {
                var flags = new bool[n];
                for (var i = 0; i < n; i++) flags[i] = !rowNull[i] && ood.Flags(part.OodScore[i]);
                group.WriteValues<float>(ScoreLayout.OodScoreColumn, part.OodScore, rowNull);
                group.WriteValues<bool>(ScoreLayout.OodColumn, flags, rowNull);
            }
            group.Complete();
        }
        writer.Complete();
    }

    private static void WriteCsv(string path, ScorePart part, IReadOnlyList<string> labels)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temporary = Path.Combine(directory, $"{TemporaryPrefix(Path.GetFileName(path))}{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using (var text = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" })
                {
                    text.WriteLine(string.Join(',', part.Ood is null ? ScoreLayout.Columns : ScoreLayout.ColumnsWithOod));
                    var k = part.K;
                    var line = new StringBuilder();
                    for (var i = 0; i < part.Items.Count; i++)
                    {
                        var item = part.Items[i];
                        var scored = part.ErrorReason[i] is null;
                        line.Clear();
                        Field(line, item.Id).Append(',');
                        Field(line, item.Source).Append(',');
                        Field(line, scored ? labels[part.LabelIndex[i]] : null).Append(',');
                        Field(line, scored ? Number(part.Probability[i]) : null).Append(',');
                        Field(line, scored ? JsonArray(part, labels, i, k, asLabels: true) : null).Append(',');
                        Field(line, scored ? JsonArray(part, labels, i, k, asLabels: false) : null).Append(',');
                        Field(line, item.Label).Append(',');
                        Field(line, part.ErrorReason[i]).Append(',');
                        Field(line, part.ErrorMessage[i]);
                        if (part.Ood is { } ood)
                        {
                            line.Append(',');
                            Field(line, scored ? Number(part.OodScore[i]) : null).Append(',');
                            Field(line, scored ? (ood.Flags(part.OodScore[i]) ? "true" : "false") : null);
                        }
                        text.WriteLine(line);
                    }
                }
                stream.Flush(flushToDisk: true);
            }
            // As the Parquet writer does: the checksum is in place before the part appears under its name.
            FileChecksum.WriteSidecar(path, FileChecksum.Compute(temporary));
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    internal static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string JsonArray(ScorePart part, IReadOnlyList<string> labels, int row, int k, bool asLabels)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            for (var j = 0; j < k; j++)
            {
                if (asLabels) json.WriteStringValue(labels[part.TopIndices[row * k + j]]);
                else json.WriteNumberValue(part.TopProbabilities[row * k + j]);
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>An RFC 4180 field: quoted when it holds a comma, quote or line break; null is empty.</summary>
    private static StringBuilder Field(StringBuilder line, string? value)
    {
        if (value is null) return line;
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0) return line.Append(value);
        return line.Append('"').Append(value.Replace("\"", "\"\"")).Append('"');
    }
}
