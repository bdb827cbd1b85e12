using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Mlp;

/// <summary>
/// The MLP's parameters, gradients and batch buffers, with forward and backward passes as BLAS calls plus element-wise
/// kernels. All buffers are allocated once for the batch capacity; row blocks of fixed size run on the workers, so
/// results do not depend on their number. Layer l computes <c>Z_l = H_{l−1}·W_lᵀ + b_l</c>, <c>H_l = dropout(act(Z_l))</c>.
/// </summary>
internal sealed class MlpNetwork
{
    /// <summary>Rows per parallel block of the element-wise work.</summary>
    public const int BlockRows = 64;

    /// <summary>Output units per parallel block of the matrix products (fixed, so results do not depend on workers).</summary>
    public const int BlockUnits = 128;

    private readonly int[] _inputs, _outputs;
    private readonly float[][] _z, _h, _cdf, _pdf, _mask;
    private float[] _delta, _deltaNext;
    private readonly float[] _probabilities;

    public MlpNetwork(int inputDimension, IReadOnlyList<int> hidden, int classes, Activation activation, int capacity)
    {
        LayerCount = hidden.Count + 1;
        Activation = activation;
        Capacity = capacity;
        _inputs = new int[LayerCount];
        _outputs = new int[LayerCount];
        for (int l = 0; l < LayerCount; l++)
        {
            _inputs[l] = l == 0 ? inputDimension : hidden[l - 1];
            _outputs[l] = l == LayerCount - 1 ? classes : hidden[l];
        }
        Weights = new float[LayerCount][];
        Biases = new float[LayerCount][];
        WeightGradients = new float[LayerCount][];
        BiasGradients = new float[LayerCount][];
        _z = new float[LayerCount][];
        _h = new float[LayerCount - 1][];
        _cdf = new float[LayerCount - 1][];
        _pdf = new float[LayerCount - 1][];
        _mask = new float[LayerCount - 1][];
        int widest = inputDimension;
        for (int l = 0; l < LayerCount; l++)
        {
            Weights[l] = new float[_outputs[l] * _inputs[l]];
            Biases[l] = new float[_outputs[l]];
            WeightGradients[l] = new float[Weights[l].Length];
            BiasGradients[l] = new float[_outputs[l]];
            _z[l] = new float[capacity * _outputs[l]];
            widest = Math.Max(widest, _outputs[l]);
            if (l < LayerCount - 1)
            {
                _h[l] = new float[capacity * _outputs[l]];
                _mask[l] = new float[capacity * _outputs[l]];
                if (activation == Activation.Gelu)
                {
                    _cdf[l] = new float[capacity * _outputs[l]];
                    _pdf[l] = new float[capacity * _outputs[l]];
                }
            }
        }
        _delta = new float[capacity * widest];
        _deltaNext = new float[capacity * widest];
        _probabilities = new float[capacity * classes];
    }

    public int LayerCount { get; }

    public Activation Activation { get; }

    public int Capacity { get; }

    public int Classes => _outputs[^1];

    public float[][] Weights { get; }

    public float[][] Biases { get; }

    public float[][] WeightGradients { get; }

    public float[][] BiasGradients { get; }

    /// <summary>The fixed linear skip path's weights <c>[classes, input]</c> (null: none); see <see cref="SetLinearSkip"/>.</summary>
    public float[]? SkipWeights { get; private set; }

    public float[]? SkipBias { get; private set; }

    /// <summary>
    /// Adds the fixed linear path <c>x·Sᵀ + s</c> to the logits and zeroes the output layer, so the network starts as
    /// exactly that linear model and the hidden branch learns what it misses (its hidden layers keep their random
    /// initialisation: the output layer's gradient is non-zero from the first step, the rest follows).
    /// </summary>
    public void SetLinearSkip(float[] weights, float[] bias)
    {
        if (weights.Length != Classes * _inputs[0] || bias.Length != Classes)
            throw new ArgumentException($"A linear skip path needs {Classes}×{_inputs[0]} weights and {Classes} biases.", nameof(weights));
        SkipWeights = weights;
        SkipBias = bias;
        Array.Clear(Weights[^1]);
        Array.Clear(Biases[^1]);
    }

    /// <summary>Softmax outputs of the last forward pass, rows × classes.</summary>
    public ReadOnlySpan<float> Probabilities(int rows) => _probabilities.AsSpan(0, rows * Classes);

    /// <summary>Pre-activations Z of <paramref name="layer"/> from the last forward pass (for tests and diagnostics).</summary>
    internal ReadOnlySpan<float> PreActivations(int layer, int rows) => _z[layer].AsSpan(0, rows * _outputs[layer]);

    public int InputsOf(int layer) => _inputs[layer];

    public int OutputsOf(int layer) => _outputs[layer];

    /// <summary>PyTorch's Linear initialisation: W, b ~ U(−1/√in, 1/√in).</summary>
    public void Initialize(DeterministicRandom random)
    {
        for (int l = 0; l < LayerCount; l++)
        {
            float bound = 1f / MathF.Sqrt(_inputs[l]);
            foreach (var array in new[] { Weights[l], Biases[l] })
                for (int i = 0; i < array.Length; i++) array[i] = (2f * random.NextSingle() - 1f) * bound;
        }
    }

    /// <summary>
    /// Forward pass over <paramref name="rows"/> rows of <paramref name="x"/> (row-major, input width). With a dropout
    /// probability &gt; 0 (training), masks are drawn per row block from streams keyed by (seed, step, layer, block).
    /// </summary>
    public void Forward(ComputeContext context, float[] x, int rows, float dropout, int seed, long step)
    {
        int blocks = (rows + BlockRows - 1) / BlockRows;
        float[] input = x;
        for (int l = 0; l < LayerCount; l++)
        {
            int inputs = _inputs[l], outputs = _outputs[l];
            var z = _z[l];
            // Z = H·Wᵀ cut by output units: each block reads its own rows of W once.
            context.SgemmByColumns(false, true, rows, outputs, inputs, 1f, input, 0, inputs, Weights[l], 0, inputs, 0f, z, 0, outputs, BlockUnits);
            bool last = l == LayerCount - 1;
            // The skip path: Z += X·Sᵀ (classes columns: one block, a thin product next to the hidden layer's).
            if (last && SkipWeights is not null)
                context.SgemmByColumns(false, true, rows, outputs, _inputs[0], 1f, x, 0, _inputs[0], SkipWeights, 0, _inputs[0], 1f, z, 0, outputs, BlockUnits);
            int layer = l;
            context.For(blocks, block =>
            {
                int start = block * BlockRows, count = Math.Min(BlockRows, rows - start);
                var zBlock = z.AsSpan(start * outputs, count * outputs);
                Kernels.AddBias(zBlock, count, Biases[layer]);
                if (last)
                {
                    if (SkipBias is not null) Kernels.AddBias(zBlock, count, SkipBias);
                    var p = _probabilities.AsSpan(start * outputs, count * outputs);
                    zBlock.CopyTo(p);
                    Kernels.SoftmaxRows(p, count, outputs);
                    return;
                }
                var hBlock = _h[layer].AsSpan(start * outputs, count * outputs);
                if (Activation == Activation.Gelu)
                    Kernels.Gelu(zBlock, hBlock, _cdf[layer].AsSpan(start * outputs, count * outputs), _pdf[layer].AsSpan(start * outputs, count * outputs));
                else
                    Kernels.Relu(zBlock, hBlock);
                if (dropout > 0f)
                {
                    var mask = _mask[layer].AsSpan(start * outputs, count * outputs);
                    var random = DeterministicRandom.For(seed, unchecked((ulong)step * 0x10000UL + (ulong)layer * 0x1000UL + (ulong)block + 0xD209UL));
                    float keep = 1f / (1f - dropout);
                    for (int i = 0; i < mask.Length; i++) mask[i] = random.NextSingle() < dropout ? 0f : keep;
                    TensorPrimitives.Multiply(hBlock, mask, hBlock);
                }
            });
            if (!last) input = _h[l];
        }
        _dropoutActive = dropout > 0f;
    }

    private bool _dropoutActive;

    /// <summary>
    /// Weighted, label-smoothed cross-entropy of the last forward pass and its gradient at the logits (into the
    /// backward buffer): returns Σᵢ sᵢ·CE(tᵢ, pᵢ); <paramref name="weightSum"/> receives Σᵢ sᵢ.
    /// </summary>
    public double Loss(ReadOnlySpan<int> labels, int rows, float[] classWeights, float smoothing, out double weightSum)
    {
        int k = Classes;
        double sumWeights = 0;
        for (int i = 0; i < rows; i++) sumWeights += classWeights[labels[i]];
        weightSum = sumWeights;
        float inverse = (float)(1.0 / sumWeights);
        float off = smoothing / k, on = 1f - smoothing + off;
        var logits = _z[^1];
        double loss = 0;
        for (int i = 0; i < rows; i++)
        {
            int label = labels[i];
            float weight = classWeights[label];
            var z = logits.AsSpan(i * k, k);
            var p = _probabilities.AsSpan(i * k, k);
            // CE(t, p) = log Σ exp(z) − Σ_c t_c z_c, with log Σ exp(z) = max + log Σ exp(z − max).
            float max = TensorPrimitives.Max(z);
            double partition = 0, targetLogit = 0;
            for (int c = 0; c < k; c++)
            {
                partition += Math.Exp(z[c] - max);
                targetLogit += (c == label ? on : off) * (double)z[c];
            }
            loss += weight * (max + Math.Log(partition) - targetLogit);
            var delta = _delta.AsSpan(i * k, k);
            float scale = weight * inverse;
            for (int c = 0; c < k; c++) delta[c] = scale * (p[c] - (c == label ? on : off));
        }
        return loss;
    }

    /// <summary>Backward pass from the logit gradient left by <see cref="Loss"/>: fills the weight and bias gradients.</summary>
    public void Backward(ComputeContext context, float[] x, int rows)
    {
        int blocks = (rows + BlockRows - 1) / BlockRows;
        for (int l = LayerCount - 1; l >= 0; l--)
        {
            int inputs = _inputs[l], outputs = _outputs[l];
            float[] input = l == 0 ? x : _h[l - 1];
            // ∇W_l = Δᵀ·H_{l−1}: rows of ∇W (output units) are independent, so they are the parallel blocks.
            context.SgemmByRows(true, false, outputs, inputs, rows, 1f, _delta, 0, outputs, input, 0, inputs, 0f, WeightGradients[l], 0, inputs, BlockUnits);
            var biasGradient = BiasGradients[l].AsSpan();
            biasGradient.Clear();
            for (int i = 0; i < rows; i++) TensorPrimitives.Add(biasGradient, _delta.AsSpan(i * outputs, outputs), biasGradient);
            if (l == 0) break; // the input needs no gradient

            // Δ_{l−1} = (Δ·W_l) ⊙ dropout mask ⊙ act′(Z_{l−1}).
            context.SgemmByColumns(false, false, rows, inputs, outputs, 1f, _delta, 0, outputs, Weights[l], 0, inputs, 0f, _deltaNext, 0, inputs, BlockUnits);
            int below = l - 1;
            context.For(blocks, block =>
            {
                int start = block * BlockRows, count = Math.Min(BlockRows, rows - start);
                var range = (start * inputs, count * inputs);
                var delta = _deltaNext.AsSpan(range.Item1, range.Item2);
                if (_dropoutActive) TensorPrimitives.Multiply(delta, _mask[below].AsSpan(range.Item1, range.Item2), delta);
                if (Activation == Activation.Gelu)
                    Kernels.GeluBackward(_z[below].AsSpan(range.Item1, range.Item2), _cdf[below].AsSpan(range.Item1, range.Item2),
                        _pdf[below].AsSpan(range.Item1, range.Item2), delta);
                else
                    Kernels.ReluBackward(_z[below].AsSpan(range.Item1, range.Item2), delta);
            });
            (_delta, _deltaNext) = (_deltaNext, _delta);
        }
    }

    /// <summary>Copies all weights and biases into <paramref name="target"/> (same shape).</summary>
    public void CopyParametersTo(float[][] targetWeights, float[][] targetBiases)
    {
        for (int l = 0; l < LayerCount; l++)
        {
            Weights[l].CopyTo(targetWeights[l], 0);
            Biases[l].CopyTo(targetBiases[l], 0);
        }
    }

    /// <summary>Copies weights and biases back from a copy made by <see cref="CopyParametersTo"/>.</summary>
    public void LoadParameters(float[][] weights, float[][] biases)
    {
        for (int l = 0; l < LayerCount; l++)
        {
            weights[l].CopyTo(Weights[l], 0);
            biases[l].CopyTo(Biases[l], 0);
        }
    }

    /// <summary>
    /// The parameters as the head's dense layers (copies), hidden layers with <paramref name="activation"/>; a linear skip
    /// path becomes extra hidden units (<see cref="LinearSkipFolding"/>), so the head stays a plain chain of layers.
    /// </summary>
    public DenseLayer[] ToLayers(Activation activation)
    {
        var layers = new DenseLayer[LayerCount];
        for (int l = 0; l < LayerCount; l++)
        {
            layers[l] = new DenseLayer(_inputs[l], _outputs[l], (float[])Weights[l].Clone(), (float[])Biases[l].Clone(),
                l == LayerCount - 1 ? Activation.Identity : activation);
        }
        return SkipWeights is null ? layers : LinearSkipFolding.Fold(layers, SkipWeights, SkipBias!);
    }

    public (float[][] Weights, float[][] Biases) AllocateParameterCopy()
    {
        var weights = new float[LayerCount][];
        var biases = new float[LayerCount][];
        for (int l = 0; l < LayerCount; l++)
        {
            weights[l] = new float[Weights[l].Length];
            biases[l] = new float[Biases[l].Length];
        }
        return (weights, biases);
    }
}
