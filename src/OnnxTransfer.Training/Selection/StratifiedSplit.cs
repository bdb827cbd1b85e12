using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Selection;

/// <summary>Seeded, stratified partitions of a split's rows: k folds, or a held-out share.</summary>
public static class StratifiedSplit
{
    /// <summary>
    /// Fold of every row (0..k−1): each class's rows are shuffled with the seed and dealt to the folds in turn, so every
    /// fold gets ⌊n_c/k⌋ or ⌈n_c/k⌉ rows of class c (as scikit-learn's StratifiedKFold, up to the shuffle).
    /// </summary>
    /// <exception cref="TrainingDataException">A class with fewer rows than folds (some fold would lack it).</exception>
    public static int[] Folds(TrainingData set, int folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(set);
        return Folds(set.Labelled, folds, seed);
    }

    internal static int[] Folds(LabelledRows set, int folds, int seed)
    {
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), folds, "Cross-validation needs at least 2 folds (5 is usual).");
        var counts = set.CountPerClass();
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] > 0 && counts[c] < folds)
                throw new TrainingDataException(
                    $"Class '{set.Classes[c]}' has {counts[c]} row(s) in split '{set.Name}', fewer than the {folds} folds: some fold would have none. " +
                    $"Use at most {counts[c]} folds, a validation split, or more data for that class.", set.Name);
        }
        var assignment = new int[set.Count];
        var random = DeterministicRandom.For(seed, 0xF01D);
        int offset = 0;
        foreach (var rows in RowsByClass(set))
        {
            random.Shuffle(rows.AsSpan());
            // Continue dealing where the previous class stopped, so fold sizes stay balanced overall.
            for (int i = 0; i < rows.Length; i++) assignment[rows[i]] = (offset + i) % folds;
            offset += rows.Length;
        }
        return assignment;
    }

    /// <summary>
    /// Holds out ⌈fraction·n_c⌉ rows of each class c with at least two rows (shuffled with the seed); returns (kept, held out)
    /// row indices in ascending order.
    /// </summary>
    public static (int[] Kept, int[] HeldOut) HoldOut(TrainingData set, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(set);
        return HoldOut(set.Labelled, fraction, seed);
    }

    internal static (int[] Kept, int[] HeldOut) HoldOut(LabelledRows set, double fraction, int seed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The held-out fraction must be within (0, 1), e.g. 0.1.");
        var random = DeterministicRandom.For(seed, 0x5A11D);
        var heldOut = new List<int>();
        var kept = new List<int>();
        foreach (var rows in RowsByClass(set))
        {
            random.Shuffle(rows.AsSpan());
            int take = rows.Length < 2 ? 0 : Math.Min(rows.Length - 1, (int)Math.Ceiling(fraction * rows.Length));
            heldOut.AddRange(rows.AsSpan(0, take));
            kept.AddRange(rows.AsSpan(take));
        }
        heldOut.Sort();
        kept.Sort();
        return (kept.ToArray(), heldOut.ToArray());
    }

    /// <summary>Row indices of fold <paramref name="fold"/> (held out) and of the others (trained on).</summary>
    public static (int[] Train, int[] HeldOut) FoldRows(int[] assignment, int fold)
    {
        var train = new List<int>(assignment.Length);
        var heldOut = new List<int>(assignment.Length / 2);
        for (int i = 0; i < assignment.Length; i++) (assignment[i] == fold ? heldOut : train).Add(i);
        return (train.ToArray(), heldOut.ToArray());
    }

    private static List<int[]> RowsByClass(EmbeddingSet set) => RowsByClass(set.Labelled);

    private static List<int[]> RowsByClass(LabelledRows set)
    {
        var counts = set.CountPerClass();
        var rows = new List<int>[counts.Length];
        for (int c = 0; c < counts.Length; c++) rows[c] = new List<int>(counts[c]);
        var labels = set.Labels;
        for (int i = 0; i < labels.Length; i++) rows[labels[i]].Add(i);
        return rows.Select(r => r.ToArray()).ToList();
    }
}
