namespace OnnxTransfer.Training.Data;

/// <summary>Refusals shared by the trainers, each naming the split and the fix.</summary>
internal static class TrainingChecks
{
    /// <summary>At least two classes, and every class of the list present in the split.</summary>
    public static int[] RequireTrainable(TrainingData train) => RequireTrainable(train.Labelled);

    public static int[] RequireTrainable(LabelledRows train)
    {
        var counts = train.CountPerClass();
        int present = 0;
        foreach (var count in counts) if (count > 0) present++;
        if (present < 2)
        {
            int only = Array.FindIndex(counts, c => c > 0);
            throw new TrainingDataException(
                $"Split '{train.Name}' has one class only ('{train.Classes[only]}', {train.Count} rows); a classifier needs rows of at least two classes. " +
                "Check the label and split columns of the cache.", train.Name);
        }
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] == 0)
                throw new TrainingDataException(
                    $"Class '{train.Classes[c]}' has no rows in split '{train.Name}' (it is in the class list). The head could never predict it: " +
                    "add training rows for it, or leave it out of the class list.", train.Name);
        }
        return counts;
    }
}
