using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Neighbours;

namespace OnnxTransfer.Training.FewShot;

/// <summary>One unlabelled row chosen for labelling, in the order chosen.</summary>
/// <param name="Row">Index of the row among the candidates.</param>
/// <param name="Score">Uncertainty × distance when it was chosen (what the choice maximised).</param>
/// <param name="Margin">The head's top-1 minus top-2 probability on the row (0: undecided, 1: certain).</param>
/// <param name="Distance">Cosine distance to the nearest labelled or already chosen row when it was chosen.</param>
/// <param name="Predicted">The head's predicted class index.</param>
public sealed record LabelSuggestion(int Row, double Score, double Margin, double Distance, int Predicted);

/// <summary>
/// Which unlabelled rows to label next: uncertainty times diversity, chosen greedily. A row's uncertainty is
/// <c>1 − margin</c> (margin sampling: the head's top-1 minus top-2 probability); its diversity is the cosine distance
/// (<c>1 − cos</c>) to the nearest row already labelled or already chosen (k-center greedy). Each step picks the row with
/// the largest product (ties: the larger distance, then the smaller row), then lowers every candidate's distance by the
/// new pick, so the batch does not spend labels on near-copies of one confusing input. When the head is certain
/// everywhere the products are 0 and the distance decides: plain k-center greedy.
/// </summary>
public sealed class LabelSuggester
{
    private readonly ComputeOptions compute;

    /// <param name="budget">Rows to suggest (≥ 1); fewer when there are fewer candidates.</param>
    public LabelSuggester(int budget, ComputeOptions? compute = null)
    {
        Budget = budget >= 1 ? budget : throw new ArgumentOutOfRangeException(nameof(budget), budget, "The budget must be at least 1.");
        this.compute = compute ?? ComputeOptions.Default;
    }

    public int Budget { get; }

    /// <summary>Chooses among <paramref name="candidates"/> (row-major, <paramref name="dimension"/> wide) given the
    /// rows already <paramref name="labelled"/> (may be empty) and the current <paramref name="head"/>.</summary>
    public IReadOnlyList<LabelSuggestion> Suggest(Head head, float[] candidates, float[] labelled, int dimension)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(labelled);
        if (dimension != head.InputDimension)
            throw new ArgumentException($"The rows are {dimension}-d, the head takes {head.InputDimension}-d.", nameof(dimension));
        int n = candidates.Length / dimension, classes = head.ClassCount;
        var probabilities = head.PredictProba(candidates, compute);
        var uncertainty = new double[n];
        var predicted = new int[n];
        for (int i = 0; i < n; i++)
        {
            var p = probabilities.AsSpan(i * classes, classes);
            int best = TensorPrimitives.IndexOfMax(p);
            float second = float.NegativeInfinity;
            for (int c = 0; c < classes; c++) if (c != best) second = MathF.Max(second, p[c]);
            predicted[i] = best;
            uncertainty[i] = 1 - (p[best] - second);
        }

        var unit = (float[])candidates.Clone();
        CosineTopK.NormalizeRows(unit, dimension);
        var distance = new double[n];
        if (labelled.Length == 0) Array.Fill(distance, 1.0);
        else
        {
            var reference = (float[])labelled.Clone();
            CosineTopK.NormalizeRows(reference, dimension);
            var nearest = new CosineTopK(1, compute).Search(unit, reference, dimension);
            for (int i = 0; i < n; i++) distance[i] = Math.Max(0, 1 - nearest.Cosine(i, 0));
        }

        var chosen = new List<LabelSuggestion>(Math.Min(Budget, n));
        var taken = new bool[n];
        while (chosen.Count < Math.Min(Budget, n))
        {
            int pick = -1;
            double pickScore = -1;
            for (int i = 0; i < n; i++)
            {
                if (taken[i]) continue;
                double score = uncertainty[i] * distance[i];
                if (pick < 0 || score > pickScore || (score == pickScore && distance[i] > distance[pick])) (pick, pickScore) = (i, score);
            }
            taken[pick] = true;
            chosen.Add(new LabelSuggestion(pick, pickScore, 1 - uncertainty[pick], distance[pick], predicted[pick]));
            // k-center update: a candidate near the new pick is now covered by it.
            var picked = unit.AsSpan(pick * dimension, dimension);
            for (int i = 0; i < n; i++)
            {
                if (taken[i]) continue;
                distance[i] = Math.Min(distance[i], Math.Max(0, 1 - TensorPrimitives.Dot(unit.AsSpan(i * dimension, dimension), picked)));
            }
        }
        return chosen;
    }
}
