using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Linear;

/// <summary>
/// A training split made ready for the objective once (preprocessing learned and applied, class weights resolved),
/// so that a path of fits over C reuses it. In memory the preprocessed rows are one buffer; streamed, they are
/// re-read and preprocessed chunk by chunk on every pass.
/// </summary>
internal sealed class PreparedSplit
{
    /// <param name="ownsFeatures">True when <paramref name="train"/> is a private copy whose features may be preprocessed in place.</param>
    /// <param name="oversamplingSeed">Balanced sampling: oversample the smaller classes with this seed (<see cref="ClassOversampling"/>).</param>
    public PreparedSplit(TrainingData train, PreprocessingKind preprocessing, ClassWeighting classWeights, ComputeContext context, bool ownsFeatures = false,
        int? oversamplingSeed = null)
    {
        if (oversamplingSeed is int seed)
        {
            train = train.Subset(ClassOversampling.Positions(train.Labelled, seed), train.Name);
            ownsFeatures = true;
        }
        Labelled = train.Labelled;
        CountPerClass = TrainingChecks.RequireTrainable(Labelled);
        ClassWeights = classWeights.Resolve(Labelled);
        Preprocessing = FeaturePreprocessing.Fit(preprocessing, train.Rows(FeaturePreprocessing.Identity, context), context);
        Rows = train.Rows(Preprocessing, context, ownsFeatures);
        WeightSum = SumWeights();
    }

    /// <summary>Names, classes and the class index of every row.</summary>
    public LabelledRows Labelled { get; }

    public int[] CountPerClass { get; }

    public double[] ClassWeights { get; }

    public FeaturePreprocessing Preprocessing { get; }

    /// <summary>Preprocessed rows (in memory: the split's own buffer when preprocessing is the identity — read only).</summary>
    public IRowChunks Rows { get; }

    public double WeightSum { get; }

    private double SumWeights()
    {
        double sum = 0;
        for (int c = 0; c < CountPerClass.Length; c++) sum += CountPerClass[c] * ClassWeights[c];
        return sum;
    }
}
