namespace OnnxTransfer.Training.Data;

/// <summary>
/// Training or evaluation data that cannot be used as given (one class only, empty split, NaN in a row, mismatched
/// dimensions, unknown labels). The message says what is wrong, where, and what to do.
/// </summary>
public sealed class TrainingDataException : OnnxTransferException
{
    public TrainingDataException(string message, string? split = null, int? row = null) : base(message)
    {
        Split = split;
        Row = row;
    }

    /// <summary>The split the problem was found in, when it concerns one.</summary>
    public string? Split { get; }

    /// <summary>The offending row (0-based), when one row is to blame.</summary>
    public int? Row { get; }
}
