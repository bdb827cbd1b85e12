namespace OnnxTransfer.Onnx;

/// <summary>A model file or an edit of it is not usable; the message says what is wrong and what to do.</summary>
public class OnnxModelException : OnnxTransferException
{
    public OnnxModelException(string message) : base(message) { }
    public OnnxModelException(string message, Exception inner) : base(message, innerException: inner) { }
}

/// <summary>
/// <see cref="OnnxModel.Validate"/> found structural problems; <see cref="Problems"/> lists each one, naming the node or
/// tensor at fault.
/// </summary>
public sealed class OnnxValidationException : OnnxModelException
{
    public OnnxValidationException(IReadOnlyList<string> problems)
        : base(Summarize(problems)) => Problems = problems;

    public IReadOnlyList<string> Problems { get; }

    private static string Summarize(IReadOnlyList<string> problems)
    {
        const int Shown = 10;
        var text = $"The ONNX graph is not valid ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):\n  "
                   + string.Join("\n  ", problems.Take(Shown));
        return problems.Count > Shown ? text + $"\n  … and {problems.Count - Shown} more" : text;
    }
}
