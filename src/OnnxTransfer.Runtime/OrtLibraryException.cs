using System.Text;

namespace OnnxTransfer.Runtime;

/// <summary>No usable ONNX Runtime library: lists every place tried, why each failed, and the fix.</summary>
public abstract class OrtLibraryException : Exception
{
    private protected OrtLibraryException(string message, IReadOnlyList<OrtLibraryAttempt> attempts)
        : base(message)
    {
        Attempts = attempts;
    }

    /// <summary>Each candidate tried, in order, with the reason it was not used.</summary>
    public IReadOnlyList<OrtLibraryAttempt> Attempts { get; }

    internal static OrtLibraryException Create(IReadOnlyList<OrtLibraryAttempt> attempts)
    {
        var tooOld = attempts.Any(a => a.LoadedButTooOld);
        var message = new StringBuilder(tooOld
            ? "The ONNX Runtime library found is too old for OnnxTransfer."
            : "ONNX Runtime could not be loaded.");
        message.Append(" Tried:");
        foreach (var attempt in attempts) message.Append("\n  - ").Append(attempt);
        message.Append('\n').Append(OrtLibrary.FixAdvice);
        return tooOld
            ? new OrtLibraryVersionException(message.ToString(), attempts)
            : new OrtLibraryNotFoundException(message.ToString(), attempts);
    }
}

/// <summary>No candidate file exists or loads as ONNX Runtime.</summary>
public sealed class OrtLibraryNotFoundException : OrtLibraryException
{
    internal OrtLibraryNotFoundException(string message, IReadOnlyList<OrtLibraryAttempt> attempts) : base(message, attempts) { }
}

/// <summary>ONNX Runtime was found, but its C API is older than <see cref="OrtLibrary.RequiredApiVersion"/>.</summary>
public sealed class OrtLibraryVersionException : OrtLibraryException
{
    internal OrtLibraryVersionException(string message, IReadOnlyList<OrtLibraryAttempt> attempts) : base(message, attempts) { }
}
