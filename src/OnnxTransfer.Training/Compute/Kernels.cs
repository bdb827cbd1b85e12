using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OnnxTransfer.Training.Compute;

/// <summary>Span-in, span-out element-wise kernels of the heads (bias, activations, softmax); no allocation.</summary>
internal static class Kernels
{
    // Abramowitz & Stegun 7.1.26: erf(x) ≈ 1 − t·(a1 + t(a2 + t(a3 + t(a4 + t·a5))))·e^(−x²), t = 1/(1 + p·x), x ≥ 0,
    // |error| ≤ 1.5e-7 — below float resolution of Φ, and it shares e^(−x²) with the normal density GELU's gradient needs.
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private const float InverseSqrt2 = 0.70710678118654752f;
    private const float InverseSqrt2Pi = 0.39894228040143268f;

    /// <summary>Adds <paramref name="bias"/> to each of the rows of <paramref name="matrix"/> (row length = bias length).</summary>
    public static void AddBias(Span<float> matrix, int rows, ReadOnlySpan<float> bias)
    {
        int width = bias.Length;
        for (int i = 0; i < rows; i++)
        {
            var row = matrix.Slice(i * width, width);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    public static void Relu(ReadOnlySpan<float> z, Span<float> h) => TensorPrimitives.Max(z, 0f, h);

    /// <summary>dz = dh where z &gt; 0, else 0 (in place on dh).</summary>
    public static void ReluBackward(ReadOnlySpan<float> z, Span<float> gradient)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var zv = MemoryMarshal.Cast<float, Vector<float>>(z);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(gradient);
            int count = Math.Min(zv.Length, gv.Length);
            for (int v = 0; v < count; v++)
                gv[v] = Vector.ConditionalSelect(Vector.GreaterThan(zv[v], Vector<float>.Zero), gv[v], Vector<float>.Zero);
            i = count * Vector<float>.Count;
        }
        for (; i < gradient.Length; i++)
            if (!(z[i] > 0f)) gradient[i] = 0f;
    }

    /// <summary>
    /// h = z·Φ(z). Also stores Φ(z) in <paramref name="cdf"/> and φ(z) in <paramref name="pdf"/> (when not empty), which
    /// is all the backward pass needs: GELU'(z) = Φ(z) + z·φ(z).
    /// </summary>
    public static void Gelu(ReadOnlySpan<float> z, Span<float> h, Span<float> cdf, Span<float> pdf)
    {
        bool keep = !cdf.IsEmpty;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            for (; i + width <= z.Length; i += width)
            {
                var zv = new Vector<float>(z.Slice(i));
                GeluVector(zv, out var phi, out var density);
                (zv * phi).CopyTo(h.Slice(i));
                if (keep)
                {
                    phi.CopyTo(cdf.Slice(i));
                    density.CopyTo(pdf.Slice(i));
                }
            }
        }
        for (; i < z.Length; i++)
        {
            float phi = NormalCdf(z[i], out var density);
            h[i] = z[i] * phi;
            if (keep)
            {
                cdf[i] = phi;
                pdf[i] = density;
            }
        }
    }

    /// <summary>dz = dh·(Φ(z) + z·φ(z)), in place on dh, from what <see cref="Gelu"/> stored.</summary>
    public static void GeluBackward(ReadOnlySpan<float> z, ReadOnlySpan<float> cdf, ReadOnlySpan<float> pdf, Span<float> gradient)
    {
        for (int i = 0; i < gradient.Length; i++)
            gradient[i] *= MathF.FusedMultiplyAdd(z[i], pdf[i], cdf[i]);
    }

    /// <summary>Φ(z) and φ(z) for one value (scalar path; the vector path computes the same formula).</summary>
    public static float NormalCdf(float z, out float density)
    {
        float x = MathF.Abs(z) * InverseSqrt2;
        float e = MathF.Exp(-x * x);
        float t = 1f / MathF.FusedMultiplyAdd(P, x, 1f);
        float poly = t * MathF.FusedMultiplyAdd(t, MathF.FusedMultiplyAdd(t, MathF.FusedMultiplyAdd(t, MathF.FusedMultiplyAdd(t, A5, A4), A3), A2), A1);
        float erfAbs = 1f - poly * e;
        density = e * InverseSqrt2Pi;
        return z >= 0f ? 0.5f + 0.5f * erfAbs : 0.5f - 0.5f * erfAbs;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GeluVector(Vector<float> z, out Vector<float> phi, out Vector<float> density)
    {
        var x = Vector.Abs(z) * InverseSqrt2;
        var e = Vector.Exp(-(x * x));
        var t = Vector<float>.One / Vector.FusedMultiplyAdd(new Vector<float>(P), x, Vector<float>.One);
        var poly = Vector.FusedMultiplyAdd(t, new Vector<float>(A5), new Vector<float>(A4));
        poly = Vector.FusedMultiplyAdd(t, poly, new Vector<float>(A3));
        poly = Vector.FusedMultiplyAdd(t, poly, new Vector<float>(A2));
        poly = Vector.FusedMultiplyAdd(t, poly, new Vector<float>(A1));
        var erfAbs = Vector<float>.One - t * poly * e;
        var half = new Vector<float>(0.5f);
        phi = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(z, Vector<float>.Zero), half + half * erfAbs, half - half * erfAbs);
        density = e * InverseSqrt2Pi;
    }

    /// <summary>
    /// Row-wise softmax in place over rows of <paramref name="width"/>, shifted by the row maximum so large logits do
    /// not overflow (TensorPrimitives.SoftMax does not shift).
    /// </summary>
    public static void SoftmaxRows(Span<float> matrix, int rows, int width)
    {
        for (int i = 0; i < rows; i++) Softmax(matrix.Slice(i * width, width));
    }

    /// <summary>Softmax of one row in place; returns log Σ exp(z) (the log-partition), for the log-loss.</summary>
    public static double Softmax(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        float sum = TensorPrimitives.Sum(row);
        TensorPrimitives.Divide(row, sum, row);
        return max + Math.Log(sum);
    }
}
