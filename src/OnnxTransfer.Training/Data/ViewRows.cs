namespace OnnxTransfer.Training.Data;

/// <summary>
/// Which rows of a dataset extracted with views (<c>extract --views</c>, a <c>view</c> column) a split takes: the
/// original view only — one row per input, what every reader that does not ask for views sees, and what is evaluated —
/// or every view, each row knowing its input (<see cref="TrainingData.HasInputGroups"/>), so that folds, hold-outs and
/// test-time augmentation keep an input's views together. A dataset without views has one row per input either way.
/// </summary>
public enum ViewRows
{
    Original,
    All,
}
