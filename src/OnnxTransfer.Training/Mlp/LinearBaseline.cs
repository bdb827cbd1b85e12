namespace OnnxTransfer.Training.Mlp;

/// <summary>
/// Epoch 0 of an MLP with a linear skip path — the softmax head alone — scored on the early-stopping rows, and the test
/// the epoch early stopping kept must pass to replace it. The kept epoch is the best of up to Epochs noisy held-out
/// scores, so a plain "higher" would let held-out noise pick the hidden branch over the linear head about half the time
/// when it adds nothing (measured: on the 60k bench set held-out accuracy wanders 0.994–0.997 between epochs). For
/// accuracy the test is paired, on the same rows (McNemar's): with b rows only the MLP gets right and c rows only the
/// linear head gets right, the MLP is kept when b − c ≥ <see cref="Z"/>·√(b + c). Other monitors: a strictly better
/// score (log-loss: lower).
/// </summary>
internal sealed record LinearBaseline(double Loss, double Score, bool[] Correct, (float[][] Weights, float[][] Biases) Parameters)
{
    /// <summary>Standard errors the paired gain must reach (one-sided 2.5%; the best of many epochs is biased upwards).</summary>
    public const double Z = 1.96;

    public bool IsBeaten(EarlyStoppingMonitor monitor, double loss, double score, bool[] correct)
    {
        switch (monitor)
        {
            case EarlyStoppingMonitor.Loss:
                return loss < Loss;
            case EarlyStoppingMonitor.Accuracy:
                int onlyMlp = 0, onlyLinear = 0;
                for (int i = 0; i < correct.Length; i++)
                {
                    if (correct[i] && !Correct[i]) onlyMlp++;
                    else if (!correct[i] && Correct[i]) onlyLinear++;
                }
                return onlyMlp - onlyLinear > 0 && onlyMlp - onlyLinear >= Z * Math.Sqrt(onlyMlp + onlyLinear);
            default:
                return score > Score;
        }
    }
}
