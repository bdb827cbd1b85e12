using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxTransfer.Training.Audit;

/// <summary>
/// The audit's summary as JSON (<c>audit.json</c>, and what <c>audit --json</c> prints): counts, thresholds, class
/// counts, slices and the top findings; the full list is the Parquet file.
/// </summary>
public sealed record AuditSummaryJson
{
    public required string TrainSplit { get; init; }
    public string? EvalSplit { get; init; }
    public int TrainRows { get; init; }
    public int EvalRows { get; init; }
    public int Folds { get; init; }
    public double OutOfFoldAccuracy { get; init; }
    public int LabelIssues { get; init; }
    public required double[] ClassThresholds { get; init; }
    public double DuplicateThreshold { get; init; }
    public int NearDuplicates { get; init; }
    public int Leaks { get; init; }
    public required Dictionary<string, int> ClassCounts { get; init; }
    public double ImbalanceRatio { get; init; }
    public SliceReport? Slices { get; init; }
    public string? Findings { get; init; }
    public double LabelSeconds { get; init; }
    public double NeighbourSeconds { get; init; }

    public static AuditSummaryJson From(AuditResult result, string? findingsPath) => new()
    {
        TrainSplit = result.TrainSplit,
        EvalSplit = result.EvaluationSplit,
        TrainRows = result.TrainRows,
        EvalRows = result.EvaluationRows,
        Folds = result.Folds,
        OutOfFoldAccuracy = result.OutOfFoldAccuracy,
        LabelIssues = result.LabelIssues,
        ClassThresholds = result.Confident.Thresholds,
        DuplicateThreshold = result.DuplicateThreshold,
        NearDuplicates = result.NearDuplicates,
        Leaks = result.Leaks,
        ClassCounts = result.ClassCounts.ToDictionary(c => c.Label, c => c.Rows),
        ImbalanceRatio = result.ImbalanceRatio,
        Slices = result.Slices,
        Findings = findingsPath,
        LabelSeconds = Math.Round(result.LabelSeconds, 3),
        NeighbourSeconds = Math.Round(result.NeighbourSeconds, 3),
    };

    public string ToJson() => JsonSerializer.Serialize(this, AuditJsonContext.Default.AuditSummaryJson);
}

/// <summary>Source-generated (reflection-free) serializer of the audit summary; snake_case names.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AuditSummaryJson))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
