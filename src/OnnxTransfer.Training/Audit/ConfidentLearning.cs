namespace OnnxTransfer.Training.Audit;

/// <summary>
/// Confident learning (Northcutt, Jiang &amp; Chuang, JAIR 2021) on out-of-fold probabilities: class j's threshold t_j is
/// the mean probability of j over the rows labelled j (how sure the model is, on average, of its own class); a row is
/// confidently of class j when p_j ≥ t_j, and of the most probable such class when several pass. Counting rows by
/// (given label, confident class) gives the confident joint; a row off its diagonal — confidently another class than
/// its label — is a likely label error, unless the model's top prediction agrees with the given label anyway.
/// Self-confidence, the probability of the given label, ranks rows: lower is more suspicious.
/// </summary>
public static class ConfidentLearning
{
    /// <param name="probabilities">rows × classes out-of-fold probabilities.</param>
    /// <param name="labels">given class index per row.</param>
    public static ConfidentLearningResult Analyse(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, int classes)
    {
        int rows = labels.Length;
        if (probabilities.Length != rows * classes)
            throw new ArgumentException($"{probabilities.Length} probabilities do not hold {rows} rows of {classes} classes.", nameof(probabilities));

        var thresholds = new double[classes];
        var counts = new int[classes];
        for (int r = 0; r < rows; r++)
        {
            thresholds[labels[r]] += probabilities[r * classes + labels[r]];
            counts[labels[r]]++;
        }
        for (int c = 0; c < classes; c++) thresholds[c] = counts[c] > 0 ? thresholds[c] / counts[c] : 1;

        var joint = new int[classes * classes];
        var confident = new int[rows];
        var selfConfidence = new double[rows];
        var issue = new bool[rows];
        for (int r = 0; r < rows; r++)
        {
            var p = probabilities.Slice(r * classes, classes);
            int given = labels[r];
            selfConfidence[r] = p[given];
            int best = -1, top = 0;
            for (int c = 0; c < classes; c++)
            {
                // The small slack keeps a class whose every row has the same probability (then p_j = t_j exactly, up to rounding) confident.
                if (p[c] >= thresholds[c] - 1e-6 && (best < 0 || p[c] > p[best])) best = c;
                if (p[c] > p[top]) top = c;
            }
            confident[r] = best;
            if (best < 0) continue; // confidently nothing: not counted, not flagged
            joint[given * classes + best]++;
            issue[r] = best != given && top != given;
        }
        return new ConfidentLearningResult(classes, thresholds, joint, confident, selfConfidence, issue);
    }
}

/// <summary>What confident learning found (plain data).</summary>
/// <param name="Thresholds">t_j per class.</param>
/// <param name="ConfidentJoint">classes × classes counts, row = given label, column = confident class.</param>
/// <param name="ConfidentClass">per row: the confident class, or −1 when no class passes its threshold.</param>
/// <param name="SelfConfidence">per row: the out-of-fold probability of its given label.</param>
/// <param name="IsIssue">per row: off the confident diagonal (and not the model's top prediction).</param>
public sealed record ConfidentLearningResult(int Classes, double[] Thresholds, int[] ConfidentJoint, int[] ConfidentClass,
    double[] SelfConfidence, bool[] IsIssue)
{
    /// <summary>Every row, most suspicious first: ascending self-confidence, ties by row.</summary>
    public int[] Ranking()
    {
        var order = new int[SelfConfidence.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) => SelfConfidence[a] != SelfConfidence[b] ? SelfConfidence[a].CompareTo(SelfConfidence[b]) : a.CompareTo(b));
        return order;
    }

    public int IssueCount => IsIssue.Count(x => x);
}
