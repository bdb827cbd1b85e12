namespace OnnxTransfer.Formats.Suggestions;

/// <summary>
/// The CSV manifest <c>onnxtransfer suggest</c> writes (docs/formats.md, "Suggest manifest"): one row per input to label
/// next, best first. Its <c>path</c>, <c>label</c>, <c>split</c> and <c>id</c> columns are those of an extract manifest,
/// so once a labeller fills <c>label</c> the file can be given to <c>extract --images</c>; the other columns say why
/// each row was chosen.
/// </summary>
public static class SuggestLayout
{
    public const string IdColumn = "id", PathColumn = "path", LabelColumn = "label", SplitColumn = "split";
    public const string RankColumn = "rank", ScoreColumn = "score", MarginColumn = "margin", DistanceColumn = "distance", PredictedColumn = "predicted";

    /// <summary>The header, in file order.</summary>
    public static readonly IReadOnlyList<string> Columns =
        [IdColumn, PathColumn, LabelColumn, SplitColumn, RankColumn, ScoreColumn, MarginColumn, DistanceColumn, PredictedColumn];
}
