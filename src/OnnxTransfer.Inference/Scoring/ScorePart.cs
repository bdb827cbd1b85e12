using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Inference.Prediction;

namespace OnnxTransfer.Inference.Scoring;

/// <summary>
/// The rows of one score part, column by column, filled in input order as batches finish. Top-k is kept as label
/// indices and probabilities (k per scored row), turned into strings only when written.
/// </summary>
internal sealed class ScorePart
{
    private readonly int _k;

    public ScorePart(int index, IReadOnlyList<InputItem> items, int k, OodOutput? ood = null)
    {
        Ood = ood;
        OodScore = ood is null ? [] : new float[items.Count];
        Index = index;
        Items = items;
        _k = k;
        LabelIndex = new int[items.Count];
        Probability = new float[items.Count];
        TopIndices = new int[items.Count * k];
        TopProbabilities = new float[items.Count * k];
        ErrorReason = new string?[items.Count];
        ErrorMessage = new string?[items.Count];
    }

    public int Index { get; }

    /// <summary>This part's inputs, in id order.</summary>
    public IReadOnlyList<InputItem> Items { get; }

    public int K => _k;

    public int[] LabelIndex { get; }

    public float[] Probability { get; }

    public int[] TopIndices { get; }

    public float[] TopProbabilities { get; }

    public string?[] ErrorReason { get; }

    /// <summary>The model's OOD output; null: the part has no ood_score/ood columns.</summary>
    public OodOutput? Ood { get; }

    /// <summary>Per row, the OOD score (empty without <see cref="Ood"/>).</summary>
    public float[] OodScore { get; }

    public string?[] ErrorMessage { get; }

    public int Filled { get; private set; }

    public int Errors { get; private set; }

    public bool IsComplete => Filled == Items.Count;

    public void SetScored(int row, ReadOnlySpan<float> probabilities, float oodScore = float.NaN)
    {
        if (Ood is not null) OodScore[row] = oodScore;
        var top = TopIndices.AsSpan(row * _k, _k);
        TopKSelection.Select(probabilities, top);
        for (var j = 0; j < _k; j++) TopProbabilities[row * _k + j] = probabilities[top[j]];
        LabelIndex[row] = top[0];
        Probability[row] = probabilities[top[0]];
        Filled++;
    }

    public void SetFailed(int row, string reason, string message)
    {
        LabelIndex[row] = -1;
        Probability[row] = float.NaN;
        ErrorReason[row] = reason;
        ErrorMessage[row] = message;
        Errors++;
        Filled++;
    }
}
