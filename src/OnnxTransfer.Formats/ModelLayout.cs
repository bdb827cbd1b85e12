namespace OnnxTransfer.Formats;

/// <summary>The <see cref="MetadataKeys.Format"/> values of head and fused models and the graph outputs every caller reads.</summary>
public static class ModelLayout
{
    public const string HeadFormat = "head/1";
    public const string FusedFormat = "fused/1";

    /// <summary>A head's one input, the features [N, D].</summary>
    public const string HeadInput = "features";

    public const string ProbabilitiesOutput = "probabilities";
    public const string LabelIndexOutput = "label_index";

    /// <summary>
    /// Heads and fused models trained with an OOD score: [N] float, higher = further from the training data; above
    /// <see cref="MetadataKeys.OodThreshold"/> the input counts as out-of-distribution.
    /// </summary>
    public const string OodScoreOutput = "ood_score";
    /// <summary>The fused model's optional output of the backbone's features.</summary>
    public const string FeaturesOutput = "features";

    /// <summary>
    /// The <see cref="MetadataKeys.TestTimeCombine"/> value: <c>probabilities</c> is the mean of the views' probabilities
    /// (each view's softmax first, then the mean), and <c>label_index</c> the argmax of that mean.
    /// </summary>
    public const string MeanOfViewProbabilities = "mean_probabilities";
}
