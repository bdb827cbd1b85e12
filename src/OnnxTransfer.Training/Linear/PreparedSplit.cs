using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Linear;

/// <summary>
/// A training split made ready for the objective once (preprocessing learned and applied, class weights resolved),
/// so that a path of fits over C reuses it.
/// </summary>
internal sealed class PreparedSplit
{
    /// <param name="ownsFeatures">True when <paramref name="train"/> is a private copy whose features may be preprocessed in place.</param>
    public PreparedSplit(EmbeddingSet train, PreprocessingKind preprocessing, ClassWeighting classWeights, ComputeContext context, bool ownsFeatures = false)
    {
        Source = train;
        CountPerClass = TrainingChecks.RequireTrainable(train);
        ClassWeights = classWeights.Resolve(train);
        Preprocessing = FeaturePreprocessing.Fit(preprocessing, train, context);
        Features = Preprocessing.Transform(train, context, overwrite: ownsFeatures);
        double sum = 0;
        for (int c = 0; c < CountPerClass.Length; c++) sum += CountPerClass[c] * ClassWeights[c];
        WeightSum = sum;
    }

    /// <summary>The split (its features are preprocessed already when it was prepared with ownsFeatures).</summary>
    public EmbeddingSet Source { get; }

    public int[] CountPerClass { get; }

    public double[] ClassWeights { get; }

    public FeaturePreprocessing Preprocessing { get; }

    /// <summary>Preprocessed rows (the split's own buffer when preprocessing is the identity: read only).</summary>
    public float[] Features { get; }

    public double WeightSum { get; }
}
