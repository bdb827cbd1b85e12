namespace OnnxTransfer.Formats;

/// <summary>The file format of score parts.</summary>
public enum ScoreFormat
{
    Parquet,
    /// <summary>RFC 4180 CSV with a header; top-k lists as JSON arrays.</summary>
    Csv,
}
