namespace OnnxTransfer.Training.Audit;

/// <summary>
/// One flagged row, as written to <c>audit.parquet</c> (docs/formats.md, "Audit"). <see cref="Score"/> is the
/// self-confidence for a label issue (lower = more suspicious) and the cosine to <see cref="NeighbourId"/> for a
/// near-duplicate or leakage. <see cref="Rank"/> orders label issues, 1 = most suspicious.
/// </summary>
public sealed record AuditFinding(string Id, string Source, string? Split, string Reason, double Score, int? Rank,
    string? GivenLabel, string? SuggestedLabel, string? NeighbourId, string? NeighbourSource);
