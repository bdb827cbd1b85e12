using System.Diagnostics;
using System.Globalization;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.FewShot;

/// <summary>
/// A cosine k-nearest-neighbour head: it stores every training row scaled to unit length and predicts by a vote of the
/// <see cref="K"/> stored rows most similar to the query (<see cref="NeighbourVote"/>: weights <c>exp(Scale·cos)</c>
/// normalised over the k, ties in similarity to the smaller training row). Fitting is a copy; the cost is at inference,
/// one dot product per stored row, so it suits the few-labels regime it is for.
/// </summary>
/// <remarks>
/// The learned state is a <see cref="Head"/> with L2-normalise preprocessing, one dense layer whose rows are the unit
/// training rows (bias 0: its outputs are the cosines) and a <see cref="NeighbourVote"/> in place of the softmax. When
/// the split has fewer rows than <see cref="K"/>, all of them vote.
/// </remarks>
public sealed class NearestNeighboursTrainer
{
    /// <summary>Ten neighbours: enough that one mislabelled neighbour does not decide, few enough for 1–16 shots per class.</summary>
    public const int DefaultK = 10;

    /// <summary>As the centroid head's logit scale: neighbours 0.1 apart in cosine differ e ≈ 2.7 times in weight.</summary>
    public const double DefaultScale = 10;

    private static readonly FeaturePreprocessing UnitLength = new(true, null, null);
    private readonly ComputeOptions compute;

    public NearestNeighboursTrainer(int k = DefaultK, double scale = DefaultScale, ComputeOptions? compute = null)
    {
        K = k >= 1 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        Scale = scale >= 0 && double.IsFinite(scale) ? scale : throw new ArgumentOutOfRangeException(nameof(scale), scale, "The vote scale must be finite and ≥ 0.");
        this.compute = compute ?? ComputeOptions.Default;
    }

    public int K { get; }

    public double Scale { get; }

    /// <summary>Stores the split's rows at unit length, in row order.</summary>
    /// <exception cref="TrainingDataException">A class of the split has no rows.</exception>
    public Head Fit(TrainingData train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var stopwatch = Stopwatch.StartNew();
        var labelled = train.Labelled;
        int d = labelled.Dimension, classes = labelled.Classes.Count, n = labelled.Count;
        var counts = labelled.CountPerClass();
        for (int c = 0; c < classes; c++)
        {
            if (counts[c] == 0)
                throw new TrainingDataException($"Class '{labelled.Classes[c]}' has no rows in split '{labelled.Name}': a neighbour vote needs at least one example of each class.", labelled.Name);
        }
        var rows = new float[(long)n * d];
        train.Rows(FeaturePreprocessing.Identity, compute.CreateContext()).ForEach((features, firstRow, count) =>
            UnitLength.Apply(features.AsSpan(0, count * d), rows.AsSpan(firstRow * d, count * d), count, d));
        int k = Math.Min(K, n);
        var info = new HeadTrainingInfo
        {
            Settings =
            [
                new("k", k.ToString(CultureInfo.InvariantCulture)), new("scale", Scale.ToString("R", CultureInfo.InvariantCulture)),
                new("similarity", "cosine"), new("weighting", "softmax(scale·cosine) over the k neighbours"),
            ],
            TrainingRows = n,
            TrainingRowsPerClass = counts,
            Seconds = stopwatch.Elapsed.TotalSeconds,
        };
        var vote = new NeighbourVote(k, Scale, labelled.Labels.ToArray(), classes);
        return new Head(Head.NearestNeighboursKind, labelled.Classes, UnitLength, [new DenseLayer(d, n, rows, new float[n], Activation.Identity)], info, vote);
    }
}
