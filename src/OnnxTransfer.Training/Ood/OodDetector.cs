using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// What a head learned about its own training distribution (plain data): the score method, the threshold above which
/// a score is called out-of-distribution, the false-positive rate it was chosen for on held-out training rows, and —
/// for <see cref="OodMethod.Mahalanobis"/> — the feature-space summary.
/// </summary>
public sealed record OodDetector(string Method, float Threshold, double TargetFalsePositiveRate, MahalanobisSummary? Summary)
{
    /// <summary>The score of every row of <paramref name="rows"/> under <paramref name="head"/> (higher = more OOD).</summary>
    public float[] Score(Head head, EmbeddingSet rows, ComputeOptions? compute = null) => Scores(Method, head, rows, Summary, compute);

    /// <summary>Whether each score is above the threshold.</summary>
    public bool IsOutOfDistribution(float score) => score > Threshold;

    /// <summary>
    /// The <paramref name="method"/> score of <paramref name="rows"/>: the summary's distance, or a function of the head's
    /// logits (energy) or probabilities (max softmax), in the float arithmetic the exported graph uses.
    /// </summary>
    internal static float[] Scores(string method, Head head, EmbeddingSet rows, MahalanobisSummary? summary, ComputeOptions? compute, double temperature = 1)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(rows);
        int k = head.ClassCount;
        var scores = new float[rows.Count];
        switch (method)
        {
            case OodMethod.Mahalanobis:
                return (summary ?? throw new InvalidOperationException("A Mahalanobis detector needs its summary.")).Score(rows.Features);
            case OodMethod.Energy:
            {
                var logits = head.Logits(rows, compute);
                if (temperature != 1)
                    System.Numerics.Tensors.TensorPrimitives.Divide(logits, (float)temperature, logits);
                for (int r = 0; r < rows.Count; r++) scores[r] = -LogSumExp(logits.AsSpan(r * k, k));
                return scores;
            }
            case OodMethod.MaxSoftmax:
            {
                // A k-NN head has no logits: its vote is the probability.
                var logits = head.Vote is not null || temperature == 1 ? head.PredictProba(rows, compute) : head.Logits(rows, compute);
                if (head.Vote is null && temperature != 1)
                {
                    if (temperature != 1)
                        System.Numerics.Tensors.TensorPrimitives.Divide(logits, (float)temperature, logits);
                    for (int r = 0; r < rows.Count; r++) System.Numerics.Tensors.TensorPrimitives.SoftMax(logits.AsSpan(r * k, k), logits.AsSpan(r * k, k));
                }
                for (int r = 0; r < rows.Count; r++) scores[r] = -System.Numerics.Tensors.TensorPrimitives.Max(logits.AsSpan(r * k, k));
                return scores;
            }
            default:
                throw new ArgumentException($"Unknown OOD method '{method}'; use one of {string.Join(", ", OodMethod.All)}.", nameof(method));
        }
    }

    /// <summary>log Σ exp(x), shifted by the maximum so large logits do not overflow.</summary>
    private static float LogSumExp(ReadOnlySpan<float> x)
    {
        float max = System.Numerics.Tensors.TensorPrimitives.Max(x);
        float sum = 0;
        foreach (var v in x) sum += MathF.Exp(v - max);
        return max + MathF.Log(sum);
    }
}
