using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// A training or validation split as the sweeps see it, in memory or streamed: carve rows out of it (folds, hold-outs),
/// prepare it for the softmax objective, fit an MLP on it, score a head on it. One sweep implementation serves both.
/// </summary>
internal abstract class SplitSource
{
    public abstract LabelledRows Labelled { get; }

    public string Name => Labelled.Name;

    /// <summary>The rows at <paramref name="positions"/> (ascending), as the sweep's own copy when in memory.</summary>
    public abstract SplitSource Subset(int[] positions, string name);

    public abstract SplitSource WithClasses(IReadOnlyList<string> classes);

    /// <param name="ownsFeatures">In memory: the rows are this sweep's own copy and may be preprocessed in place.</param>
    public abstract PreparedSplit Prepare(PreprocessingKind preprocessing, ClassWeighting classWeights, ComputeContext context, bool ownsFeatures);

    public abstract Head FitMlp(MlpTrainer trainer, SplitSource? validation, ComputeContext context);

    public abstract Head FitSoftmax(SoftmaxRegressionTrainer trainer);

    public abstract ClassificationMetrics Evaluate(Head head, ComputeOptions compute);

    /// <summary>The head's logits for every row (for calibration on held-out rows).</summary>
    public abstract float[] Logits(Head head, ComputeOptions compute);

    public static SplitSource Of(EmbeddingSet set) => new InMemory(set);

    public static SplitSource Of(StreamedSplit split) => new Streamed(split);

    private sealed class InMemory(EmbeddingSet set) : SplitSource
    {
        public override LabelledRows Labelled => set.Labelled;

        public override SplitSource Subset(int[] positions, string name) => new InMemory(set.Select(positions, name));

        public override SplitSource WithClasses(IReadOnlyList<string> classes) => new InMemory(set.WithClasses(classes));

        public override PreparedSplit Prepare(PreprocessingKind preprocessing, ClassWeighting classWeights, ComputeContext context, bool ownsFeatures) =>
            new(set, preprocessing, classWeights, context, ownsFeatures);

        public override Head FitMlp(MlpTrainer trainer, SplitSource? validation, ComputeContext context) =>
            trainer.Fit(set, ((InMemory?)validation)?.Set, null, context);

        public override Head FitSoftmax(SoftmaxRegressionTrainer trainer) => trainer.Fit(set);

        public override ClassificationMetrics Evaluate(Head head, ComputeOptions compute) => ClassificationMetrics.Evaluate(head, set, compute);

        public override float[] Logits(Head head, ComputeOptions compute) => head.Logits(set, compute);

        private EmbeddingSet Set => set;
    }

    private sealed class Streamed(StreamedSplit split) : SplitSource
    {
        public override LabelledRows Labelled => split.Labelled;

        public override SplitSource Subset(int[] positions, string name) => new Streamed(split.Subset(positions, name));

        public override SplitSource WithClasses(IReadOnlyList<string> classes) => new Streamed(split.WithClasses(classes));

        public override PreparedSplit Prepare(PreprocessingKind preprocessing, ClassWeighting classWeights, ComputeContext context, bool ownsFeatures) =>
            new(split, preprocessing, classWeights, context);

        public override Head FitMlp(MlpTrainer trainer, SplitSource? validation, ComputeContext context) =>
            trainer.Fit(split, ((Streamed?)validation)?.Split, null, context);

        public override Head FitSoftmax(SoftmaxRegressionTrainer trainer) => trainer.Fit(split);

        public override ClassificationMetrics Evaluate(Head head, ComputeOptions compute) => ClassificationMetrics.Evaluate(head, split, compute);

        public override float[] Logits(Head head, ComputeOptions compute) => head.Logits(split, compute);

        private StreamedSplit Split => split;
    }
}
