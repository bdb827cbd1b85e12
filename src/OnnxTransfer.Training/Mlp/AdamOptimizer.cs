using System.Numerics;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Mlp;

/// <summary>
/// Adam / AdamW over a list of float parameter arrays (PyTorch's update rule): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε). Weight decay applies to arrays marked decayed (weights, not biases).
/// Element-wise and in fixed chunks, so the result does not depend on the number of workers.
/// </summary>
internal sealed class AdamOptimizer
{
    private const int ChunkSize = 1 << 15;

    private readonly MlpSettings _settings;
    private readonly List<(float[] Parameters, float[] Gradients, float[] M, float[] V, bool Decayed)> _groups = [];
    private readonly List<(int Group, int Start, int Length)> _chunks = [];
    private int _step;

    public AdamOptimizer(MlpSettings settings) => _settings = settings;

    public void Add(float[] parameters, float[] gradients, bool decayed)
    {
        int group = _groups.Count;
        _groups.Add((parameters, gradients, new float[parameters.Length], new float[parameters.Length], decayed));
        for (int start = 0; start < parameters.Length; start += ChunkSize)
            _chunks.Add((group, start, Math.Min(ChunkSize, parameters.Length - start)));
    }

    public void Step(ComputeContext context, double learningRate)
    {
        _step++;
        double c1 = 1 - Math.Pow(_settings.Beta1, _step), c2 = 1 - Math.Pow(_settings.Beta2, _step);
        float beta1 = (float)_settings.Beta1, beta2 = (float)_settings.Beta2, epsilon = (float)_settings.Epsilon;
        float stepSize = (float)(learningRate / c1), inverseSqrtC2 = (float)(1 / Math.Sqrt(c2));
        bool decoupled = _settings.Optimizer == MlpOptimizer.AdamW;
        float decay = (float)_settings.WeightDecay;
        float shrink = (float)(1 - learningRate * _settings.WeightDecay);

        context.For(_chunks.Count, index =>
        {
            var (group, start, length) = _chunks[index];
            var (p, g, m, v, decayed) = _groups[group];
            var ps = p.AsSpan(start, length);
            var gs = g.AsSpan(start, length);
            var ms = m.AsSpan(start, length);
            var vs = v.AsSpan(start, length);
            bool l2 = decayed && !decoupled && decay > 0f;
            if (decayed && decoupled && decay > 0f) System.Numerics.Tensors.TensorPrimitives.Multiply(ps, shrink, ps);
            Update(ps, gs, ms, vs, beta1, beta2, epsilon, stepSize, inverseSqrtC2, l2 ? decay : 0f);
        });
    }

    private static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        float beta1, float beta2, float epsilon, float stepSize, float inverseSqrtC2, float l2)
    {
        int i = 0, width = Vector<float>.Count;
        var vb1 = new Vector<float>(beta1);
        var vb1c = new Vector<float>(1 - beta1);
        var vb2 = new Vector<float>(beta2);
        var vb2c = new Vector<float>(1 - beta2);
        var veps = new Vector<float>(epsilon);
        var vstep = new Vector<float>(stepSize);
        var vc2 = new Vector<float>(inverseSqrtC2);
        var vl2 = new Vector<float>(l2);
        for (; i + width <= p.Length; i += width)
        {
            var pv = new Vector<float>(p.Slice(i));
            var gv = Vector.FusedMultiplyAdd(vl2, pv, new Vector<float>(g.Slice(i)));
            var mv = Vector.FusedMultiplyAdd(vb1, new Vector<float>(m.Slice(i)), vb1c * gv);
            var vv = Vector.FusedMultiplyAdd(vb2, new Vector<float>(v.Slice(i)), vb2c * gv * gv);
            mv.CopyTo(m.Slice(i));
            vv.CopyTo(v.Slice(i));
            var denominator = Vector.SquareRoot(vv) * vc2 + veps;
            (pv - vstep * mv / denominator).CopyTo(p.Slice(i));
        }
        for (; i < p.Length; i++)
        {
            float gi = MathF.FusedMultiplyAdd(l2, p[i], g[i]);
            float mi = MathF.FusedMultiplyAdd(beta1, m[i], (1 - beta1) * gi);
            float vi = MathF.FusedMultiplyAdd(beta2, v[i], (1 - beta2) * gi * gi);
            m[i] = mi;
            v[i] = vi;
            p[i] -= stepSize * mi / (MathF.Sqrt(vi) * inverseSqrtC2 + epsilon);
        }
    }
}
