using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Pipeline;

/// <summary>
/// How many units <see cref="BatchPipeline{TBuffer}"/> runs at once (its running threads). On CUDA two runs in flight
/// let one batch's host↔device copies and kernels overlap the next one's; on CPU one, since ONNX Runtime's intra-op
/// threads already use every core and a second run would only compete for them.
/// </summary>
public static class RunsInFlight
{
    /// <summary>The default on a session that runs on CUDA.</summary>
    public const int CudaDefault = 2;

    /// <summary>
    /// The runs in flight for <paramref name="asked"/> (null: auto) on a session whose active providers are
    /// <paramref name="activeProviders"/>: auto is <see cref="CudaDefault"/> when CUDA runs the model (not after a
    /// fallback to CPU), else 1.
    /// </summary>
    public static int Resolve(int? asked, IReadOnlyList<string> activeProviders)
    {
        ArgumentNullException.ThrowIfNull(activeProviders);
        if (asked is { } runs) return runs >= 1 ? runs : throw new ArgumentOutOfRangeException(nameof(asked), runs, Refusal(runs));
        return activeProviders.Contains(EmbeddingNumerics.CudaProvider) ? CudaDefault : 1;
    }

    /// <summary>Buffers for a pipeline with <paramref name="runs"/> runs in flight: one filling, the runs, one writing.</summary>
    public static int BuffersFor(int runs) => runs + 2;

    /// <summary>Why a count is refused, naming the fix (the CLI's message too).</summary>
    public static string Refusal(int runs) =>
        $"--runs-in-flight must be at least 1 or auto (got {runs}); auto runs 2 batches at once on cuda and 1 on cpu.";

    /// <summary>Parses "auto" (null) or a count of 1 or more; anything else gives the refusal message.</summary>
    public static (int? Runs, string? Error) Parse(string? text)
    {
        if (text is null || text.Equals("auto", StringComparison.OrdinalIgnoreCase)) return (null, null);
        if (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var runs))
            return (null, $"--runs-in-flight takes a count (1, 2, …) or auto, not '{text}'.");
        return runs >= 1 ? (runs, null) : (null, Refusal(runs));
    }
}
