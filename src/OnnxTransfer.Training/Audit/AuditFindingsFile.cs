using OnnxTransfer.Formats;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Training.Audit;

/// <summary>Writes the findings as <c>audit.parquet</c> (docs/formats.md, "Audit"), one row group, atomically.</summary>
public static class AuditFindingsFile
{
    private static readonly ParquetWriterOptions Options = new()
    {
        CreatedBy = "OnnxTransfer audit (OnnxTransfer.Parquet)",
        WritePageChecksums = true,
    };

    public static void Write(string path, IReadOnlyList<AuditFinding> findings)
    {
        int n = findings.Count;
        var ids = new string?[n];
        var sources = new string?[n];
        var splits = new string?[n];
        var reasons = new string?[n];
        var scores = new double[n];
        var ranks = new int[n];
        var rankNull = new bool[n];
        var given = new string?[n];
        var suggested = new string?[n];
        var neighbourIds = new string?[n];
        var neighbourSources = new string?[n];
        for (int i = 0; i < n; i++)
        {
            var f = findings[i];
            (ids[i], sources[i], splits[i], reasons[i], scores[i]) = (f.Id, f.Source, f.Split, f.Reason, f.Score);
            ranks[i] = f.Rank ?? 0;
            rankNull[i] = f.Rank is null;
            (given[i], suggested[i], neighbourIds[i], neighbourSources[i]) = (f.GivenLabel, f.SuggestedLabel, f.NeighbourId, f.NeighbourSource);
        }
        using var writer = new ParquetFileWriter(path, AuditLayout.Schema, Options, [new(MetadataKeys.Format, AuditLayout.PartFormat)]);
        if (n > 0)
        {
            var group = writer.BeginRowGroup(n);
            group.WriteStrings(AuditLayout.IdColumn, ids);
            group.WriteStrings(AuditLayout.SourceColumn, sources);
            group.WriteStrings(AuditLayout.SplitColumn, splits);
            group.WriteStrings(AuditLayout.ReasonColumn, reasons);
            group.WriteValues<double>(AuditLayout.ScoreColumn, scores);
            group.WriteValues<int>(AuditLayout.RankColumn, ranks, rankNull);
            group.WriteStrings(AuditLayout.GivenLabelColumn, given);
            group.WriteStrings(AuditLayout.SuggestedLabelColumn, suggested);
            group.WriteStrings(AuditLayout.NeighbourIdColumn, neighbourIds);
            group.WriteStrings(AuditLayout.NeighbourSourceColumn, neighbourSources);
            group.Complete();
        }
        writer.Complete();
    }
}
