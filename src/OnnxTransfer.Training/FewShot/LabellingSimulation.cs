using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.FewShot;

/// <summary>Evaluation accuracy after each labelling round, for one way of choosing what to label.</summary>
/// <param name="Labels">Labelled rows after each round (round 0: the start).</param>
/// <param name="Accuracy">Accuracy on the evaluation split of the head fitted on those rows.</param>
public sealed record LabellingCurve(int[] Labels, double[] Accuracy);

/// <summary>
/// A simulated labelling loop on a fully labelled pool, the labels hidden until "asked for": start from
/// <c>startPerClass</c> random rows of each class, then each round label <c>step</c> more rows — those
/// <see cref="LabelSuggester"/> picks for the current head, or (the baseline) rows drawn at random — refit the head and
/// score it on the evaluation split. Both strategies start from the same rows for a seed.
/// </summary>
public sealed class LabellingSimulation(int startPerClass, int step, int rounds, Func<EmbeddingSet, Head> fit, ComputeOptions? compute = null)
{
    public (LabellingCurve Suggested, LabellingCurve Random) Run(EmbeddingSet pool, EmbeddingSet evaluation, int seed)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(evaluation);
        var random = DeterministicRandom.For(seed, 0x1abe1);
        var order = Shuffled(pool.Count, random);
        var start = new List<int>();
        var perClass = new int[pool.Classes.Count];
        foreach (int row in order)
            if (perClass[pool.LabelIndices[row]]++ < startPerClass) start.Add(row);

        var randomOrder = order.Where(r => !start.Contains(r)).ToArray();
        return (Curve(pool, evaluation, start, (labelled, head) => Suggest(pool, labelled, head)),
                Curve(pool, evaluation, start, (labelled, _) => randomOrder.Where(r => !labelled.Contains(r)).Take(step).ToList()));
    }

    private LabellingCurve Curve(EmbeddingSet pool, EmbeddingSet evaluation, List<int> start, Func<HashSet<int>, Head, List<int>> next)
    {
        var labelled = new HashSet<int>(start);
        var counts = new List<int>();
        var accuracy = new List<double>();
        for (int round = 0; ; round++)
        {
            var rows = labelled.Order().ToArray();
            var head = fit(pool.Select(rows, "labelled"));
            counts.Add(rows.Length);
            accuracy.Add(ClassificationMetrics.Evaluate(head, evaluation, compute).Accuracy);
            if (round == rounds || labelled.Count == pool.Count) break;
            foreach (int row in next(labelled, head)) labelled.Add(row);
        }
        return new LabellingCurve(counts.ToArray(), accuracy.ToArray());
    }

    private List<int> Suggest(EmbeddingSet pool, HashSet<int> labelled, Head head)
    {
        var candidates = Enumerable.Range(0, pool.Count).Where(r => !labelled.Contains(r)).ToArray();
        var suggestions = new LabelSuggester(step, compute).Suggest(head, pool.Select(candidates, "candidates").Features.ToArray(),
            pool.Select(labelled.Order().ToArray(), "labelled").Features.ToArray(), pool.Dimension);
        return suggestions.Select(s => candidates[s.Row]).ToList();
    }

    private static int[] Shuffled(int count, DeterministicRandom random)
    {
        var order = Enumerable.Range(0, count).ToArray();
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(random.NextUInt64() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
