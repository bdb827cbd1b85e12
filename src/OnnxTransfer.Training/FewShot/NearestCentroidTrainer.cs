using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.FewShot;

/// <summary>
/// A cosine nearest-centroid head, the few-labels baseline that needs no optimiser: every training row is scaled to unit
/// length, each class's centroid is the mean of its unit rows, scaled to unit length again. A row's logit for class k is
/// <c>Scale · cos(x, centroid_k)</c>, so the prediction is the class of the nearest centroid by cosine.
/// </summary>
/// <remarks>
/// The learned state is an ordinary <see cref="Head"/>: L2-normalise preprocessing and one dense layer whose rows are the
/// unit centroids times <see cref="Scale"/>, bias 0. It therefore exports to ONNX (ReduceL2/Div, Gemm, Softmax) and
/// composes into a fused model like a softmax head, with nothing new at inference. <see cref="Scale"/> only sharpens the
/// probabilities (cosines lie in [−1, 1]); it never changes which class wins.
/// </remarks>
public sealed class NearestCentroidTrainer(double scale = NearestCentroidTrainer.DefaultScale, ComputeOptions? compute = null)
{
    /// <summary>A softmax temperature of 1/10 on cosines: a margin of 0.1 in cosine gives odds of e ≈ 2.7.</summary>
    public const double DefaultScale = 10;

    private static readonly FeaturePreprocessing UnitLength = new(true, null, null);

    public double Scale { get; } = scale > 0 && double.IsFinite(scale)
        ? scale
        : throw new ArgumentOutOfRangeException(nameof(scale), scale, "The logit scale must be finite and > 0.");

    /// <summary>Learns the centroids of a split in one pass over its rows.</summary>
    /// <exception cref="TrainingDataException">A class of the split has no rows.</exception>
    public Head Fit(TrainingData train)
    {
        ArgumentNullException.ThrowIfNull(train);
        return Fit(train.Labelled, train.Rows(FeaturePreprocessing.Identity, (compute ?? ComputeOptions.Default).CreateContext()));
    }

    private Head Fit(LabelledRows labelled, IRowChunks rows)
    {
        var stopwatch = Stopwatch.StartNew();
        int d = labelled.Dimension, classes = labelled.Classes.Count;
        var counts = labelled.CountPerClass();
        for (int c = 0; c < classes; c++)
        {
            if (counts[c] == 0)
                throw new TrainingDataException($"Class '{labelled.Classes[c]}' has no rows in split '{labelled.Name}': a centroid needs at least one example.", labelled.Name);
        }

        // Sums in double, in row order: the same centroids for any chunking of the split.
        var sums = new double[(long)classes * d];
        var unit = new float[d];
        rows.ForEach((features, firstRow, count) =>
        {
            for (int r = 0; r < count; r++)
            {
                var row = features.AsSpan(r * d, d);
                float norm = MathF.Max(TensorPrimitives.Norm(row), FeaturePreprocessing.NormFloor);
                TensorPrimitives.Divide(row, norm, unit);
                var sum = sums.AsSpan(labelled.Labels[firstRow + r] * d, d);
                for (int j = 0; j < d; j++) sum[j] += unit[j];
            }
        });

        var weights = new float[(long)classes * d];
        for (int c = 0; c < classes; c++)
        {
            var sum = sums.AsSpan(c * d, d);
            double norm = 0;
            foreach (var v in sum) norm += v * v;
            // A class whose unit rows cancel exactly has no direction; a zero row gives it logit 0 everywhere.
            double factor = norm > 0 ? Scale / Math.Sqrt(norm) : 0;
            var target = weights.AsSpan(c * d, d);
            for (int j = 0; j < d; j++) target[j] = (float)(sum[j] * factor);
        }

        var info = new HeadTrainingInfo
        {
            Settings = [new("scale", Scale.ToString("R", CultureInfo.InvariantCulture)), new("similarity", "cosine")],
            TrainingRows = labelled.Count,
            TrainingRowsPerClass = counts,
            Seconds = stopwatch.Elapsed.TotalSeconds,
        };
        return new Head(Head.NearestCentroidKind, labelled.Classes, UnitLength, [new DenseLayer(d, classes, weights, new float[classes], Activation.Identity)], info);
    }
}
