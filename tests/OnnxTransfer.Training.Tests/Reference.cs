using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Tests;

/// <summary>Straightforward double-precision reference computations (no BLAS, no blocking) that tests compare against.</summary>
internal static class Reference
{
    /// <summary>C = op(A)·op(B) in double, row-major.</summary>
    public static double[] Gemm(bool ta, bool tb, int m, int n, int k, float[] a, int lda, float[] b, int ldb)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double sum = 0;
            for (int p = 0; p < k; p++)
                sum += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
            c[i * n + j] = sum;
        }
        return c;
    }

    /// <summary>
    /// The documented softmax-regression objective and its gradient with respect to a head's (full K-row) layer, in
    /// double on preprocessed features: (1/S)Σ sᵢ·logloss + (1/(2·C·S))·‖W‖².
    /// </summary>
    public static (double Value, double[] GradW, double[] GradB) SoftmaxObjective(Head head, EmbeddingSet train, double c, double[] classWeights)
    {
        var layer = head.Layers[0];
        int d = layer.InputCount, k = layer.OutputCount;
        var x = new float[train.Count * d];
        head.Preprocessing.Apply(train.Features, x, train.Count, d);
        double s = 0;
        foreach (var y in train.LabelIndices) s += classWeights[y];
        var gradW = new double[k * d];
        var gradB = new double[k];
        double loss = 0;
        var z = new double[k];
        for (int i = 0; i < train.Count; i++)
        {
            for (int o = 0; o < k; o++)
            {
                double sum = layer.Bias[o];
                for (int j = 0; j < d; j++) sum += (double)layer.Weights[o * d + j] * x[i * d + j];
                z[o] = sum;
            }
            double max = z.Max(), partition = 0;
            for (int o = 0; o < k; o++) partition += Math.Exp(z[o] - max);
            double logPartition = max + Math.Log(partition);
            int label = train.LabelIndices[i];
            double weight = classWeights[label];
            loss += weight * (logPartition - z[label]);
            for (int o = 0; o < k; o++)
            {
                double residual = weight / s * (Math.Exp(z[o] - logPartition) - (o == label ? 1 : 0));
                gradB[o] += residual;
                for (int j = 0; j < d; j++) gradW[o * d + j] += residual * x[i * d + j];
            }
        }
        double lambda = 1.0 / (c * s), penalty = 0;
        for (int i = 0; i < gradW.Length; i++)
        {
            penalty += (double)layer.Weights[i] * layer.Weights[i];
            gradW[i] += lambda * layer.Weights[i];
        }
        return (loss / s + 0.5 * lambda * penalty, gradW, gradB);
    }

    public static double Accuracy(Head head, EmbeddingSet set)
    {
        var predicted = head.Predict(set.Features);
        int correct = 0;
        for (int i = 0; i < set.Count; i++)
            if (head.Labels[predicted[i]] == set.LabelOf(i)) correct++;
        return (double)correct / set.Count;
    }
}
