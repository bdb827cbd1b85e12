using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Selection;

/// <summary>Seeded, stratified partitions of a split's rows: k folds, or a held-out share.</summary>
public static class StratifiedSplit
{
    /// <summary>
    /// Fold of every row (0..k−1): each class's rows are shuffled with the seed and dealt to the folds in turn, so every
    /// fold gets ⌊n_c/k⌋ or ⌈n_c/k⌉ rows of class c (as scikit-learn's StratifiedKFold, up to the shuffle). Rows that
    /// are views of one input (<see cref="TrainingData.HasInputGroups"/>) are dealt as one: inputs are stratified and
    /// every view of an input lands in its fold (scikit-learn's StratifiedGroupKFold), so no fold scores a view of an
    /// input it trained on.
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
        var (units, unitOfRow) = Units(set);
        for (int c = 0; c < units.Count; c++)
        {
            if (units[c].Length > 0 && units[c].Length < folds)
                throw new TrainingDataException(
                    $"Class '{set.Classes[c]}' has {units[c].Length} {UnitName(unitOfRow)} in split '{set.Name}', fewer than the {folds} folds: some fold would have none. " +
                    $"Use at most {units[c].Length} folds, a validation split, or more data for that class.", set.Name);
        }
        var unitFold = new int[unitOfRow is null ? set.Count : units.Sum(u => u.Length)];
        var random = DeterministicRandom.For(seed, 0xF01D);
        int offset = 0;
        foreach (var classUnits in units)
        {
            random.Shuffle(classUnits.AsSpan());
            // Continue dealing where the previous class stopped, so fold sizes stay balanced overall.
            for (int i = 0; i < classUnits.Length; i++) unitFold[classUnits[i]] = (offset + i) % folds;
            offset += classUnits.Length;
        }
        return unitOfRow is null ? unitFold : Array.ConvertAll(unitOfRow, unit => unitFold[unit]);
    }

    /// <summary>
    /// Holds out ⌈fraction·n_c⌉ rows of each class c with at least two rows (shuffled with the seed); returns (kept, held out)
    /// row indices in ascending order. Rows that are views of one input (<see cref="TrainingData.HasInputGroups"/>) are
    /// held out or kept together: the share is of inputs.
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
        var (units, unitOfRow) = Units(set);
        var heldOut = new List<int>();
        var kept = new List<int>();
        foreach (var classUnits in units)
        {
            random.Shuffle(classUnits.AsSpan());
            int take = classUnits.Length < 2 ? 0 : Math.Min(classUnits.Length - 1, (int)Math.Ceiling(fraction * classUnits.Length));
            heldOut.AddRange(classUnits.AsSpan(0, take));
            kept.AddRange(classUnits.AsSpan(take));
        }
        if (unitOfRow is not null)
        {
            // Units are inputs: every row of a held-out input is held out.
            var isHeldOut = new bool[units.Sum(u => u.Length)];
            foreach (var unit in heldOut) isHeldOut[unit] = true;
            heldOut.Clear();
            kept.Clear();
            for (int row = 0; row < unitOfRow.Length; row++) (isHeldOut[unitOfRow[row]] ? heldOut : kept).Add(row);
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

    /// <summary>
    /// What folds and hold-outs deal, per class in ascending order: rows, or — when rows are views of inputs — inputs
    /// (numbered in order of first appearance, with <c>UnitOfRow</c> mapping each row to its input; an input's views
    /// share its label).
    /// </summary>
    private static (List<int[]> UnitsByClass, int[]? UnitOfRow) Units(LabelledRows set)
    {
        if (set.Groups is not { } groups) return (RowsByClass(set), null);
        var unitOf = new Dictionary<int, int>();
        var unitOfRow = new int[groups.Length];
        var unitLabels = new List<int>();
        var labels = set.Labels;
        for (int row = 0; row < groups.Length; row++)
        {
            if (!unitOf.TryGetValue(groups[row], out var unit))
            {
                unit = unitOf[groups[row]] = unitLabels.Count;
                unitLabels.Add(labels[row]);
            }
            else if (unitLabels[unit] != labels[row])
                throw new TrainingDataException($"Split '{set.Name}': views of one input carry different labels ('{set.Classes[unitLabels[unit]]}' and " +
                                                $"'{set.Classes[labels[row]]}'); every view of an input has its label.", set.Name);
            unitOfRow[row] = unit;
        }
        var byClass = new List<int>[set.Classes.Count];
        for (int c = 0; c < byClass.Length; c++) byClass[c] = [];
        for (int unit = 0; unit < unitLabels.Count; unit++) byClass[unitLabels[unit]].Add(unit);
        return (byClass.Select(u => u.ToArray()).ToList(), unitOfRow);
    }

    private static string UnitName(int[]? unitOfRow) => unitOfRow is null ? "row(s)" : "input(s)";

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
