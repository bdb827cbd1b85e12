using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Linear;

/// <summary>Softmax-regression parameters from a warm-start head.</summary>
internal static class SoftmaxWarmStart
{
    /// <summary>Fills θ = [W (P×d), b (P)] from <paramref name="head"/>, in <paramref name="target"/>'s coordinates.</summary>
    public static void Initialize(Head head, LabelledRows train, FeaturePreprocessing target, bool reference, bool fitIntercept, double[] theta)
    {
        WarmStart.CheckCompatible(head, Head.SoftmaxRegressionKind, train, target);
        head = WarmStart.Uncalibrated(head);
        var (weights, bias) = WarmStart.FirstLayerFor(head, target);
        int classes = head.ClassCount, d = head.InputDimension, p = reference ? classes - 1 : classes;
        for (int c = 0; c < p; c++)
        {
            // Softmax is unchanged by subtracting class 0's logit from all, which is how the reference form sees it.
            int row = reference ? c + 1 : c;
            for (int j = 0; j < d; j++)
                theta[c * d + j] = reference ? weights[row * d + j] - weights[j] : weights[row * d + j];
            theta[p * d + c] = fitIntercept ? (reference ? bias[row] - bias[0] : bias[row]) : 0;
        }
    }
}
