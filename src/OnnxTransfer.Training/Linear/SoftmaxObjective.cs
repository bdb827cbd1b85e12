using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Linear;

/// <summary>
/// The L2-regularised multinomial log-loss and its gradient over float rows, by BLAS:
/// <c>f(W, b) = (1/S)·Σᵢ sᵢ·(log Σ_c exp(zᵢc) − zᵢyᵢ) + (λ/2)·‖W‖²</c>, <c>z = x·Wᵀ + b</c>, S = Σᵢ sᵢ (row weights),
/// bias unpenalised. In "reference class" mode (binary logistic regression) class 0's logit is fixed at 0 and only
/// classes 1… have parameters. Parameters are a double vector <c>[W (P×d, row-major), b (P)]</c>.
/// <para>
/// Rows are visited in fixed blocks; each block computes its logits and its gradient contribution while its rows are
/// in cache (X is read from memory once per evaluation), and block results are summed in block order, so the value is
/// the same for any number of worker threads. Rows come in chunks (<see cref="IRowChunks"/>): all of them at once when in
/// memory, or streamed from Parquet; chunks hold whole blocks, so both give the same value bit for bit, and only one
/// chunk's block partials are held at a time.
/// </para>
/// </summary>
internal sealed class SoftmaxObjective
{
    public const int BlockRows = 2048;
    private const int ChunkRows = 128;

    private readonly ComputeContext _context;
    private readonly IRowChunks _rowsSource;
    private readonly int[] _y;
    private readonly float[] _classWeights;
    private readonly int _rows, _d, _p;
    private readonly bool _reference, _fitIntercept;
    private readonly double _inverseWeightSum;
    private readonly float[] _w, _b;
    private readonly Block[] _blocks;

    /// <param name="x">Preprocessed feature rows (read only).</param>
    /// <param name="y">Class index per row (all rows).</param>
    /// <param name="classCount">K classes; P = K parameterised classes, or K − 1 in reference mode.</param>
    /// <param name="classWeights">Weight of each class's rows (sᵢ = classWeights[yᵢ]).</param>
    /// <param name="l2">λ in the mean-loss form (λ = 1/(C·S) for scikit-learn's C).</param>
    public SoftmaxObjective(ComputeContext context, IRowChunks x, int[] y, int classCount, double[] classWeights,
        bool referenceClass, double l2, bool fitIntercept = true)
    {
        if (x.Count != y.Length) throw new ArgumentException($"{x.Count} feature rows for {y.Length} labels.", nameof(y));
        _context = context;
        _rowsSource = x;
        _y = y;
        _rows = y.Length;
        _d = x.Dimension;
        _reference = referenceClass;
        _p = referenceClass ? classCount - 1 : classCount;
        ClassCount = classCount;
        L2 = l2;
        _fitIntercept = fitIntercept;
        _classWeights = Array.ConvertAll(classWeights, w => (float)w);
        double weightSum = 0;
        foreach (var label in y) weightSum += classWeights[label];
        WeightSum = weightSum;
        _inverseWeightSum = 1.0 / weightSum;
        _w = new float[_p * _d];
        _b = new float[_p];
        _blocks = new Block[(Math.Min(_rows, x.MaxChunkRows) + BlockRows - 1) / BlockRows];
        for (int i = 0; i < _blocks.Length; i++) _blocks[i] = new Block(_p, _d, classCount);
    }

    public int ClassCount { get; }

    /// <summary>Classes with parameters (P).</summary>
    public int ParameterizedClasses => _p;

    public int Dimension => _d;

    public int ParameterCount => _p * (_d + 1);

    /// <summary>S = Σ sᵢ.</summary>
    public double WeightSum { get; }

    public double L2 { get; }

    /// <summary>f(θ) and ∇f(θ).</summary>
    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        int weightCount = _p * _d;
        for (int i = 0; i < weightCount; i++) _w[i] = (float)theta[i];
        for (int c = 0; c < _p; c++) _b[c] = (float)theta[weightCount + c];

        double loss = 0;
        var sumW = _sumW ??= new double[weightCount];
        var sumB = _sumB ??= new double[_p];
        System.Array.Clear(sumW);
        System.Array.Clear(sumB);
        _rowsSource.ForEach((x, firstRow, rows) =>
        {
            int blocks = (rows + BlockRows - 1) / BlockRows;
            _context.For(blocks, block => ProcessBlock(x, firstRow, rows, block));
            // Partials in block order, chunk after chunk: the same sums as one pass over all rows.
            for (int b = 0; b < blocks; b++)
            {
                var block = _blocks[b];
                loss += block.Loss;
                var partial = block.GradientW;
                for (int i = 0; i < weightCount; i++) sumW[i] += partial[i];
                for (int c = 0; c < _p; c++) sumB[c] += block.GradientB[c];
            }
        });
        var gradientW = gradient[..weightCount];
        var gradientB = gradient[weightCount..];
        sumW.CopyTo(gradientW);
        sumB.CopyTo(gradientB);
        // Without an intercept the bias has zero gradient, so it stays at its starting value 0.
        if (!_fitIntercept) gradientB.Clear();
        double penalty = 0;
        for (int i = 0; i < weightCount; i++)
        {
            double w = theta[i];
            penalty += w * w;
            gradientW[i] += L2 * w;
        }
        return loss * _inverseWeightSum + 0.5 * L2 * penalty;
    }

    private double[]? _sumW, _sumB;

    /// <summary>Loss and gradient partials of one block of a chunk (chunk-local rows; labels at firstRow + row).</summary>
    private void ProcessBlock(float[] x, int firstRow, int chunkRows, int blockIndex)
    {
        var block = _blocks[blockIndex];
        int start = blockIndex * BlockRows, end = Math.Min(chunkRows, start + BlockRows);
        double loss = 0;
        Array.Clear(block.GradientB);
        var logits = block.Logits;
        var g = block.Residuals;
        var row = block.Row;
        float invS = (float)_inverseWeightSum;
        bool first = true;
        for (int chunk = start; chunk < end; chunk += ChunkRows)
        {
            int rows = Math.Min(ChunkRows, end - chunk);
            _context.Blas.Sgemm(false, true, rows, _p, _d, 1f, x.AsSpan(chunk * _d), _d, _w, _d, 0f, logits, _p);
            for (int r = 0; r < rows; r++)
            {
                int label = _y[firstRow + chunk + r];
                float weight = _classWeights[label];
                var z = logits.AsSpan(r * _p, _p);
                // Full logit row over K classes (class 0 fixed at 0 in reference mode).
                var full = row.AsSpan(0, ClassCount);
                if (_reference)
                {
                    full[0] = 0f;
                    for (int c = 0; c < _p; c++) full[c + 1] = z[c] + _b[c];
                }
                else
                {
                    for (int c = 0; c < _p; c++) full[c] = z[c] + _b[c];
                }
                float trueLogit = full[label];
                double logPartition = Kernels.Softmax(full);
                loss += weight * (logPartition - trueLogit);

                var residual = g.AsSpan(r * _p, _p);
                float scale = weight * invS;
                int offset = _reference ? 1 : 0;
                for (int c = 0; c < _p; c++)
                {
                    float p = full[c + offset];
                    float target = c + offset == label ? 1f : 0f;
                    residual[c] = scale * (p - target);
                    block.GradientB[c] += residual[c];
                }
            }
            // ∇W += Gᵀ·X over this chunk, accumulated in the block's partial (first chunk overwrites).
            _context.Blas.Sgemm(true, false, _p, _d, rows, 1f, g, _p, x.AsSpan(chunk * _d), _d, first ? 0f : 1f, block.GradientW, _d);
            first = false;
        }
        block.Loss = loss;
    }

    /// <summary>One block's scratch and partial results, reused across evaluations.</summary>
    private sealed class Block(int p, int d, int classCount)
    {
        public readonly float[] Logits = new float[ChunkRows * p];
        public readonly float[] Residuals = new float[ChunkRows * p];
        public readonly float[] Row = new float[classCount];
        public readonly float[] GradientW = new float[p * d];
        public readonly double[] GradientB = new double[p];
        public double Loss;
    }
}
