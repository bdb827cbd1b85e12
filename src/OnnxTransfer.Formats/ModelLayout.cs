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
    /// <summary>The fused model's optional output of the backbone's features.</summary>
    public const string FeaturesOutput = "features";
}
