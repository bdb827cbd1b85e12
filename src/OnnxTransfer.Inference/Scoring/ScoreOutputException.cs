namespace OnnxTransfer.Inference.Scoring;

/// <summary>The output folder holds parts that this run must not be mixed with (another model, input list, shard count or format).</summary>
public sealed class ScoreOutputException(string message) : InferenceException(message);
