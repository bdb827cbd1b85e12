using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Heads;

/// <summary>
/// A learned classification head as plain data, mapping 1:1 to its ONNX export: preprocessing vectors, dense layers
/// (weights row-major <c>[out, in]</c>), activations, a softmax over <see cref="Labels"/>. Produced by
/// <c>SoftmaxRegressionTrainer.Fit</c> and <c>MlpTrainer.Fit</c>; thread-safe to predict with.
/// </summary>
public sealed class Head
{
    public const string SoftmaxRegressionKind = "softmax-regression";
    public const string MlpKind = "mlp";
    /// <summary>Nearest centroid (<c>FewShot.NearestCentroidTrainer</c>): unit rows, one Gemm of scaled class means of unit rows with bias −scale·‖m‖²/2.</summary>
    public const string NearestCentroidKind = "nearest-centroid";
    /// <summary>Cosine k nearest neighbours (<c>FewShot.NearestNeighboursTrainer</c>): unit rows, one dense layer of stored unit rows, a <see cref="NeighbourVote"/>.</summary>
    public const string NearestNeighboursKind = "nearest-neighbours";

    private readonly string[] _labels;
    private readonly DenseLayer[] _layers;

    /// <exception cref="ArgumentException">Layers that do not chain, or that disagree with the labels or preprocessing.</exception>
    public Head(string kind, IReadOnlyList<string> labels, FeaturePreprocessing preprocessing, IReadOnlyList<DenseLayer> layers,
        HeadTrainingInfo? training = null, NeighbourVote? vote = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("A head needs at least one layer.", nameof(layers));
        if (labels.Count < 2) throw new ArgumentException($"A head needs at least two labels, got {labels.Count}.", nameof(labels));
        for (int c = 1; c < labels.Count; c++)
        {
            if (string.CompareOrdinal(labels[c - 1], labels[c]) >= 0)
                throw new ArgumentException($"Labels must be distinct and in ordinal order ('{labels[c - 1]}' before '{labels[c]}').", nameof(labels));
        }
        for (int l = 1; l < layers.Count; l++)
        {
            if (layers[l].InputCount != layers[l - 1].OutputCount)
                throw new ArgumentException($"Layer {l} takes {layers[l].InputCount} inputs but layer {l - 1} gives {layers[l - 1].OutputCount}.", nameof(layers));
        }
        // A neighbour vote reads one similarity per stored row; otherwise the last layer gives one logit per label.
        if (vote is not null && (vote.RowCount != layers[^1].OutputCount || vote.ClassCount != labels.Count))
            throw new ArgumentException($"The neighbour vote is over {vote.RowCount} rows and {vote.ClassCount} classes; the last layer gives {layers[^1].OutputCount} outputs for {labels.Count} labels.", nameof(vote));
        if (vote is null && layers[^1].OutputCount != labels.Count)
            throw new ArgumentException($"The last layer gives {layers[^1].OutputCount} outputs for {labels.Count} labels.", nameof(layers));
        if (layers[^1].Activation != Activation.Identity)
            throw new ArgumentException("The last layer gives logits: its activation must be Identity (the head applies softmax).", nameof(layers));
        if (preprocessing.Mean is not null && preprocessing.Mean.Length != layers[0].InputCount)
            throw new ArgumentException($"Preprocessing is for {preprocessing.Mean.Length}-d features, the first layer takes {layers[0].InputCount}.", nameof(preprocessing));

        Kind = kind;
        _labels = labels.ToArray();
        Preprocessing = preprocessing;
        _layers = layers.ToArray();
        Training = training;
        Vote = vote;
    }

    /// <summary><see cref="SoftmaxRegressionKind"/>, <see cref="MlpKind"/> or <see cref="NearestCentroidKind"/>.</summary>
    public string Kind { get; }

    /// <summary>Class names in ordinal order; output column i is the probability of label i.</summary>
    public IReadOnlyList<string> Labels => _labels;

    public FeaturePreprocessing Preprocessing { get; }

    /// <summary>Dense layers, input first; the last one gives the logits.</summary>
    public IReadOnlyList<DenseLayer> Layers => _layers;

    /// <summary>How the head was trained (settings, convergence, learning curves); null for a hand-built head.</summary>
    public HeadTrainingInfo? Training { get; }

    /// <summary>The k-nearest-neighbour vote that replaces the softmax (<see cref="NearestNeighboursKind"/>); null for the other heads.</summary>
    public NeighbourVote? Vote { get; }

    public int InputDimension => _layers[0].InputCount;

    public int ClassCount => _labels.Length;

    /// <summary>Class probabilities, row-major <c>[rows, ClassCount]</c>, for row-major features <c>[rows, InputDimension]</c>.</summary>
    public float[] PredictProba(ReadOnlySpan<float> features, ComputeOptions? compute = null)
    {
        if (features.Length % InputDimension != 0)
            throw new ArgumentException($"{features.Length} floats are not whole rows of the head's input dimension {InputDimension}.", nameof(features));
        int rows = features.Length / InputDimension;
        var probabilities = new float[(long)rows * ClassCount];
        new HeadForward(this, (compute ?? ComputeOptions.Default).CreateContext()).Probabilities(features.ToArray(), rows, probabilities);
        return probabilities;
    }

    /// <summary>Class probabilities for a split (its dimension is checked against the head), chunk by chunk.</summary>
    public float[] PredictProba(TrainingData split, ComputeOptions? compute = null) => Forward(split, compute, softmax: true);

    /// <summary>The last layer's logits <c>[rows, ClassCount]</c> for a split (softmax of a row gives its probabilities).</summary>
    public float[] Logits(TrainingData split, ComputeOptions? compute = null) => Forward(split, compute, softmax: false);

    private float[] Forward(TrainingData split, ComputeOptions? compute, bool softmax)
    {
        ArgumentNullException.ThrowIfNull(split);
        CheckDimension(split);
        var output = new float[(long)split.Count * ClassCount];
        var context = (compute ?? ComputeOptions.Default).CreateContext();
        var forward = new HeadForward(this, context);
        split.Rows(FeaturePreprocessing.Identity, context).ForEach((features, firstRow, rows) =>
        {
            if (softmax) forward.Probabilities(features, rows, output, firstRow);
            else forward.Logits(features, rows, output, firstRow);
        });
        return output;
    }

    /// <summary>The most probable class index per row (ties: the lower index).</summary>
    public int[] Predict(ReadOnlySpan<float> features, ComputeOptions? compute = null) => ArgMaxRows(PredictProba(features, compute), ClassCount);

    /// <summary>The most probable label per row.</summary>
    public string[] PredictLabels(ReadOnlySpan<float> features, ComputeOptions? compute = null) =>
        Array.ConvertAll(Predict(features, compute), c => _labels[c]);

    internal void CheckDimension(TrainingData split) => CheckDimension(split.Name, split.Dimension);

    internal void CheckDimension(string split, int dimension)
    {
        if (dimension != InputDimension)
            throw new TrainingDataException(
                $"Split '{split}' has {dimension}-d embeddings but the head takes {InputDimension}-d: it was trained on another backbone or feature tensor.",
                split);
    }

    internal static int[] ArgMaxRows(ReadOnlySpan<float> matrix, int width)
    {
        var result = new int[matrix.Length / width];
        for (int i = 0; i < result.Length; i++)
            result[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(matrix.Slice(i * width, width));
        return result;
    }
}
