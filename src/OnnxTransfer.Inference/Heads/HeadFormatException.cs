namespace OnnxTransfer.Inference.Heads;

/// <summary>A file given as a head is not a head in the documented format (docs/formats.md, "Head").</summary>
public sealed class HeadFormatException(string message, Exception? innerException = null) : InferenceException(message, innerException!);
