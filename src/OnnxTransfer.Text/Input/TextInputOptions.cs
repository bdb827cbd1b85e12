using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Text.Input;

/// <summary>Format of a text input file.</summary>
public enum TextInputFormat
{
    /// <summary>From the extension: .txt, .csv, .tsv/.tab, .jsonl/.ndjson.</summary>
    Auto,
    /// <summary>One text per line (optionally <c>LABEL text</c>, see <see cref="TextInputOptions.LabelPrefix"/>).</summary>
    Txt,
    /// <summary>Comma-separated values (RFC 4180: quoted fields may hold commas, quotes and newlines).</summary>
    Csv,
    /// <summary>Tab-separated values, quoted like CSV.</summary>
    Tsv,
    /// <summary>One JSON object per line with <c>text</c> and optional <c>label</c>, <c>split</c>, <c>id</c>.</summary>
    Jsonl,
}

/// <summary>How <see cref="TextInputReader"/> reads a file.</summary>
public sealed record TextInputOptions
{
    public TextInputFormat Format { get; init; } = TextInputFormat.Auto;

    /// <summary>
    /// TXT only: the first word of each line, up to the first space or tab, is the label and the rest is the text
    /// (SST-2's <c>1 a gripping movie</c>). Off by default: the whole line is the text.
    /// </summary>
    public bool LabelPrefix { get; init; }

    /// <summary>CSV/TSV: the first record names the columns. Without a header, columns are named "0", "1", ….</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>Column (CSV/TSV) or field (JSONL) holding the text; required.</summary>
    public string TextField { get; init; } = "text";

    /// <summary>Column/field of the label; ignored when the input has none.</summary>
    public string? LabelField { get; init; } = "label";

    /// <summary>Column/field of the row id; rows are numbered by line when the input has none.</summary>
    public string? IdField { get; init; } = "id";

    /// <summary>Column/field of the split; ignored when the input has none.</summary>
    public string? SplitField { get; init; } = "split";

    /// <summary>Column/field of the second text of a pair; null = single texts.</summary>
    public string? PairField { get; init; }

    /// <summary>Longest text kept, in UTF-16 characters (a guard against runaway rows; tokens are limited later).</summary>
    public int MaxTextLength { get; init; } = 100_000;

    /// <summary>A longer text is cut and flagged (<see cref="TextRecord.IsTruncated"/>) or becomes an error record.</summary>
    public OverLengthPolicy OverLength { get; init; } = OverLengthPolicy.Truncate;
}

/// <summary>An input file or option that cannot be read at all; the message says what is wrong and what to do.</summary>
public sealed class TextInputException(string message) : OnnxTransferException(message);
