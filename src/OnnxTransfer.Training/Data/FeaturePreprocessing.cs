using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Data;

/// <summary>Which feature preprocessing a trainer learns on its training split.</summary>
public enum PreprocessingKind
{
    None,
    /// <summary>Subtract the training mean, divide by the training standard deviation (population, as StandardScaler).</summary>
    Standardize,
    /// <summary>Scale each row to unit L2 norm.</summary>
    L2Normalize,
    /// <summary>Unit L2 norm per row, then standardise with statistics of the normalised training rows.</summary>
    L2NormalizeThenStandardize,
}

/// <summary>
/// Learned feature preprocessing, stored in the head as plain data: optionally <c>x ← x / max(‖x‖₂, 1e-12)</c>, then
/// optionally <c>x ← (x − Mean) / Scale</c>. Exported to ONNX as ReduceL2/Max/Div and a standardisation folded into
/// the first Gemm. Statistics come from the training split only.
/// </summary>
public sealed class FeaturePreprocessing
{
    /// <summary>Rows with a smaller norm are divided by this instead (as torch.nn.functional.normalize).</summary>
    public const float NormFloor = 1e-12f;

    public FeaturePreprocessing(bool l2Normalize, float[]? mean, float[]? scale)
    {
        if ((mean is null) != (scale is null))
            throw new ArgumentException("Standardisation needs both a mean and a scale vector (or neither).");
        if (mean is not null && mean.Length != scale!.Length)
            throw new ArgumentException($"Mean has {mean.Length} elements but scale has {scale.Length}.");
        if (scale is not null)
        {
            foreach (var s in scale)
                if (!(s > 0) || !float.IsFinite(s)) throw new ArgumentException($"Scale values must be finite and > 0, got {s}.");
        }
        L2Normalize = l2Normalize;
        Mean = mean;
        Scale = scale;
    }

    public static FeaturePreprocessing Identity { get; } = new(false, null, null);

    public bool L2Normalize { get; }

    /// <summary>Per-feature mean subtracted after normalisation (null: no standardisation).</summary>
    public float[]? Mean { get; }

    /// <summary>Per-feature standard deviation divided by (1 for constant features); null: no standardisation.</summary>
    public float[]? Scale { get; }

    public bool Standardize => Mean is not null;

    public bool IsIdentity => !L2Normalize && Mean is null;

    /// <summary>The kind this preprocessing corresponds to.</summary>
    public PreprocessingKind Kind => (L2Normalize, Standardize) switch
    {
        (false, false) => PreprocessingKind.None,
        (false, true) => PreprocessingKind.Standardize,
        (true, false) => PreprocessingKind.L2Normalize,
        (true, true) => PreprocessingKind.L2NormalizeThenStandardize,
    };

    /// <summary>Learns the preprocessing of <paramref name="kind"/> from <paramref name="train"/> (and nothing else).</summary>
    public static FeaturePreprocessing Fit(PreprocessingKind kind, TrainingData train, ComputeOptions? compute = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var context = (compute ?? ComputeOptions.Default).CreateContext();
        return Fit(kind, train.Rows(Identity, context), context);
    }

    /// <summary>
    /// Learns from rows in memory or streamed: two passes (mean, then squared deviations), each summing fixed 256-row
    /// blocks in float (vectorised, in parallel) and the block sums in double in block order — fast, accurate, and the
    /// same bits for any number of workers and for streamed chunks (which hold whole blocks).
    /// </summary>
    internal static FeaturePreprocessing Fit(PreprocessingKind kind, IRowChunks train, ComputeContext context)
    {
        bool normalize = kind is PreprocessingKind.L2Normalize or PreprocessingKind.L2NormalizeThenStandardize;
        bool standardize = kind is PreprocessingKind.Standardize or PreprocessingKind.L2NormalizeThenStandardize;
        if (!standardize) return normalize ? new FeaturePreprocessing(true, null, null) : Identity;

        int d = train.Dimension, rows = train.Count;
        var mean = SumBlocks(train, context, normalize, null);
        for (int j = 0; j < d; j++) mean[j] /= rows;
        var meanF = Array.ConvertAll(mean, m => (float)m);
        var variance = SumBlocks(train, context, normalize, meanF);
        for (int j = 0; j < d; j++) variance[j] /= rows;

        var scale = new float[d];
        for (int j = 0; j < d; j++)
        {
            // meanF is the float mean actually subtracted; correct the second moment for its rounding.
            double residual = meanF[j] - mean[j];
            double std = Math.Sqrt(Math.Max(0, variance[j] - residual * residual));
            // A constant feature keeps scale 1 (as scikit-learn), so it maps to 0 instead of dividing by zero.
            scale[j] = std > 1e-7 * Math.Max(1.0, Math.Abs(mean[j])) ? (float)std : 1f;
        }
        return new FeaturePreprocessing(normalize, meanF, scale);
    }

    private const int StatisticsBlockRows = 256;

    /// <summary>Σ x (or Σ (x − mean)² when <paramref name="mean"/> is given) over all rows, by blocks summed in order.</summary>
    private static double[] SumBlocks(IRowChunks train, ComputeContext context, bool normalize, float[]? mean)
    {
        int d = train.Dimension;
        var total = new double[d];
        double[] partial = [];
        train.ForEach((features, _, rows) =>
        {
            int blocks = (rows + StatisticsBlockRows - 1) / StatisticsBlockRows;
            if (partial.Length < blocks * d) partial = new double[blocks * d];
            var partials = partial;
            context.For(blocks, block => BlockSums(features, rows, d, block, normalize, mean, partials.AsSpan(block * d, d)));
            for (int block = 0; block < blocks; block++)
                for (int j = 0; j < d; j++) total[j] += partials[block * d + j];
        });
        return total;
    }

    /// <summary>Σ x (when <paramref name="mean"/> is null) or Σ (x − mean)² over one block's rows, into <paramref name="result"/>.</summary>
    private static void BlockSums(float[] features, int rows, int d, int block, bool normalize, float[]? mean, Span<double> result)
    {
        int start = block * StatisticsBlockRows, end = Math.Min(rows, start + StatisticsBlockRows);
        var sum = new float[d];
        var row = new float[d];
        for (int i = start; i < end; i++)
        {
            ReadOnlySpan<float> x = features.AsSpan(i * d, d);
            if (normalize)
            {
                NormalizeRow(x, row);
                x = row;
            }
            if (mean is null)
            {
                TensorPrimitives.Add(x, sum, sum);
            }
            else
            {
                TensorPrimitives.Subtract(x, mean, row);
                TensorPrimitives.FusedMultiplyAdd(row, row, sum, sum);
            }
        }
        for (int j = 0; j < d; j++) result[j] = sum[j];
    }

    /// <summary>Applies the preprocessing to <paramref name="rows"/> rows of <paramref name="dimension"/> floats.</summary>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, int rows, int dimension)
    {
        if (Mean is not null && Mean.Length != dimension)
            throw new ArgumentException($"Preprocessing was learned on {Mean.Length}-d features, not {dimension}-d.");
        long count = (long)rows * dimension;
        if (source.Length < count || destination.Length < count)
            throw new ArgumentException($"Apply needs {count} floats in source and destination.");
        for (int i = 0; i < rows; i++)
        {
            var x = source.Slice(i * dimension, dimension);
            var y = destination.Slice(i * dimension, dimension);
            if (L2Normalize) NormalizeRow(x, y);
            else x.CopyTo(y);
            if (Mean is not null)
            {
                TensorPrimitives.Subtract(y, Mean, y);
                TensorPrimitives.Divide(y, Scale!, y);
            }
        }
    }

    /// <summary>
    /// The split's features preprocessed: a new buffer, or the split's own (read-only!) when this is the identity. With
    /// <paramref name="overwrite"/> the split's own buffer is preprocessed in place (for private copies such as a
    /// fold's rows), which spares allocating — and faulting in — another buffer of the same size.
    /// </summary>
    internal float[] Transform(EmbeddingSet set, ComputeContext context, bool overwrite = false)
    {
        if (IsIdentity) return set.FeatureArray;
        var source = set.FeatureArray;
        var result = overwrite ? source : GC.AllocateUninitializedArray<float>(source.Length);
        TransformRows(source, result, set.Count, set.Dimension, context);
        return result;
    }

    /// <summary>Preprocesses <paramref name="rows"/> rows in parallel 256-row blocks (in place when the arrays are the same).</summary>
    internal void TransformRows(float[] source, float[] destination, int rows, int d, ComputeContext context)
    {
        if (IsIdentity)
        {
            if (!ReferenceEquals(source, destination)) Array.Copy(source, destination, (long)rows * d);
            return;
        }
        int blocks = (rows + StatisticsBlockRows - 1) / StatisticsBlockRows;
        context.For(blocks, block =>
        {
            int start = block * StatisticsBlockRows, count = Math.Min(StatisticsBlockRows, rows - start);
            // Row by row, so in place is safe: each row is read completely before it is written.
            Apply(source.AsSpan(start * d, count * d), destination.AsSpan(start * d, count * d), count, d);
        });
    }

    private static void NormalizeRow(ReadOnlySpan<float> x, Span<float> y)
    {
        double squares = 0;
        foreach (var v in x) squares += (double)v * v;
        float norm = Math.Max((float)Math.Sqrt(squares), NormFloor);
        TensorPrimitives.Divide(x, norm, y);
    }
}
