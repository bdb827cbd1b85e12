using System.Buffers;
using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Neighbours;

/// <summary>
/// Short stand-ins for long rows whose dot products bound the rows' own from above, with every rounding error counted,
/// so a search may drop a pair on its sketch alone and stay exact.
/// </summary>
/// <remarks>
/// <para>Row x (length d) gets <c>ŝ_x = [c_x, ρ_x]</c>: <c>c_x = fl(Q·x)</c>, its coordinates on the p orthonormal
/// rows of Q (<see cref="ProjectionBasis"/>), and ρ_x, an upper bound on the length of what Q misses,
/// <c>r_x = x − Qᵀc_x</c>. Then, exactly,
/// <c>x·y = c_xᵀ(QQᵀ)c_y + c_xᵀ(Q r_y) + (Q r_x)ᵀc_y + r_x·r_y</c>, and with η ≥ ‖QQᵀ − I‖ (measured in double) and
/// ‖Q r_y‖ = ‖(Q y − c_y) + (I − QQᵀ)c_y‖ ≤ ε_y = γ_d‖Q‖_F‖y‖ + η‖c_y‖ (Higham's bound on the multiply that made c_y,
/// γ_n = nu/(1 − nu), u = 2⁻²⁴):</para>
/// <para><c>x·y ≤ c_x·c_y + ρ_xρ_y + η‖c_x‖‖c_y‖ + ‖c_x‖ε_y + ε_x‖c_y‖ = ŝ_x·ŝ_y + (small terms)</c>.</para>
/// <para>The screen computes <c>fl(ŝ_x·ŝ_y)</c>, within γ_(p+1)‖ŝ_x‖‖ŝ_y‖ of the true value, so one constant
/// <see cref="Margin"/> built from the largest norms covers every pair: a pair whose screened value is below
/// <c>t − Margin</c> has <c>x·y &lt; t</c>. Without a basis (short rows), ŝ_x is x itself with ρ = 0 and only the
/// multiply's rounding is left.</para>
/// </remarks>
internal sealed class RowSketches
{
    /// <summary>Unit roundoff of float32.</summary>
    private const double Unit = 1.0 / (1 << 24);

    private const int BlockRows = 1024;

    private RowSketches(float[] values, int width, double largestSketch, double largestCoordinates, double largestEpsilon, double orthogonality)
    {
        Values = values;
        Width = width;
        LargestSketch = largestSketch;
        LargestCoordinates = largestCoordinates;
        LargestEpsilon = largestEpsilon;
        Orthogonality = orthogonality;
    }

    /// <summary>Sketch rows are allocated in multiples of this many (the extra rows are zero), so kernels may read whole groups.</summary>
    public const int RowGroup = 32;

    /// <summary>Row-major sketches, <see cref="Width"/> floats each: p coordinates then ρ (then zero rows up to a multiple of <see cref="RowGroup"/>).</summary>
    public float[] Values { get; }

    public int Width { get; }

    /// <summary>max ‖ŝ_x‖ over the finite rows.</summary>
    public double LargestSketch { get; }

    /// <summary>max ‖c_x‖.</summary>
    public double LargestCoordinates { get; }

    /// <summary>max ε_x.</summary>
    public double LargestEpsilon { get; }

    /// <summary>η ≥ ‖QQᵀ − I‖₂ (its Frobenius norm, in double).</summary>
    public double Orthogonality { get; }

    /// <summary>γ_n = nu/(1 − nu) in float arithmetic.</summary>
    public static double Gamma(int n) => n * Unit / (1 - n * Unit);

    /// <summary>
    /// What the screened value of any pair of these sketches (or of these and <paramref name="other"/>'s, made with the
    /// same basis) may fall short of the rows' dot product, at most.
    /// </summary>
    public double Margin(RowSketches? other = null)
    {
        other ??= this;
        double sketch = LargestSketch * other.LargestSketch;
        double coordinates = LargestCoordinates * other.LargestCoordinates;
        double cross = LargestCoordinates * other.LargestEpsilon + LargestEpsilon * other.LargestCoordinates;
        double margin = Gamma(Width) * sketch + Math.Max(Orthogonality, other.Orthogonality) * coordinates + cross;
        // Room for the double arithmetic of the norms and of this sum (relative 1e-12 at most; far more is allowed).
        return margin * (1 + 1e-6) + 1e-9 * (1 + sketch);
    }

    /// <summary>Sketches of <paramref name="rows"/> on <paramref name="basis"/> (p × d, row-major), or the rows themselves when it is null.</summary>
    public static RowSketches Build(float[] rows, int dimension, float[]? basis, ComputeContext context)
    {
        int count = rows.Length / dimension;
        if (basis is null) return Identity(rows, count, dimension);
        int directions = basis.Length / dimension, width = directions + 1;
        var values = new float[(long)Padded(count) * width];
        var coordinateNorms = new double[count];
        var epsilons = new double[count];
        var sketchNorms = new double[count];
        double basisFrobenius = Math.Sqrt(TensorPrimitives.Dot(basis, basis)) * (1 + Gamma(basis.Length));
        double orthogonality = OrthogonalityOf(basis, directions, dimension);
        int blocks = (count + BlockRows - 1) / BlockRows;
        context.For(blocks, block =>
        {
            int first = block * BlockRows, rowsHere = Math.Min(BlockRows, count - first);
            var residual = ArrayPool<float>.Shared.Rent(rowsHere * dimension);
            try
            {
                var x = rows.AsSpan(first * dimension, rowsHere * dimension);
                var sketch = values.AsSpan(first * width, rowsHere * width);
                // c = X·Qᵀ straight into the sketch rows (row stride p + 1), then residual = X − c·Q.
                context.Blas.Sgemm(false, true, rowsHere, directions, dimension, 1f, x, dimension, basis, dimension, 0f, sketch, width);
                x.CopyTo(residual);
                context.Blas.Sgemm(false, false, rowsHere, dimension, directions, -1f, sketch, width, basis, dimension, 1f, residual, dimension);
                for (int r = 0; r < rowsHere; r++)
                {
                    int row = first + r;
                    var coordinates = sketch.Slice(r * width, directions);
                    double rowNorm = Math.Sqrt(Math.Max(0, ExactDot.Compute(x.Slice(r * dimension, dimension), x.Slice(r * dimension, dimension))));
                    double coordinateNorm = Math.Sqrt(Math.Max(0, ExactDot.Compute(coordinates, coordinates)));
                    // The computed residual r̃ is within γ_(p+1)(‖Q‖_F‖c‖ + ‖x‖) of the true one (its norm taken in double).
                    var computed = residual.AsSpan(r * dimension, dimension);
                    double rho = Math.Sqrt(Math.Max(0, ExactDot.Compute(computed, computed))) * (1 + 1e-12)
                                 + Gamma(directions + 1) * (basisFrobenius * coordinateNorm + rowNorm);
                    float stored = RoundUp(rho);
                    sketch[r * width + directions] = stored;
                    bool finite = double.IsFinite(rowNorm) && double.IsFinite(coordinateNorm) && float.IsFinite(stored);
                    if (!finite)
                    {
                        // A row with NaN or ∞ has no cosine with anything; a zero sketch keeps it out of the maxima.
                        sketch.Slice(r * width, width).Clear();
                        continue;
                    }
                    coordinateNorms[row] = coordinateNorm;
                    epsilons[row] = Gamma(dimension) * basisFrobenius * rowNorm + orthogonality * coordinateNorm;
                    sketchNorms[row] = Math.Sqrt(coordinateNorm * coordinateNorm + (double)stored * stored);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(residual);
            }
        });
        return new RowSketches(values, width, Max(sketchNorms), Max(coordinateNorms), Max(epsilons), orthogonality);
    }

    /// <summary>The rows as their own sketches (ρ = 0, exact coordinates): only the screen's rounding needs a margin.</summary>
    private static RowSketches Identity(float[] rows, int count, int dimension)
    {
        int width = dimension + 1;
        var values = new float[(long)Padded(count) * width];
        double largest = 0;
        for (int r = 0; r < count; r++)
        {
            var row = rows.AsSpan(r * dimension, dimension);
            double norm = Math.Sqrt(Math.Max(0, ExactDot.Compute(row, row)));
            if (!double.IsFinite(norm)) continue;
            row.CopyTo(values.AsSpan(r * width, dimension));
            largest = Math.Max(largest, norm);
        }
        return new RowSketches(values, width, largest, largest, 0, 0);
    }

    /// <summary>‖QQᵀ − I‖_F in double (each float product is exact in double; the sums' error is far below a float step).</summary>
    private static double OrthogonalityOf(float[] basis, int directions, int dimension)
    {
        double sum = 0;
        for (int a = 0; a < directions; a++)
            for (int b = a; b < directions; b++)
            {
                double gram = ExactDot.Compute(basis.AsSpan(a * dimension, dimension), basis.AsSpan(b * dimension, dimension)) - (a == b ? 1 : 0);
                sum += (a == b ? 1 : 2) * gram * gram;
            }
        // A generous allowance for the double sums themselves.
        return Math.Sqrt(sum) + 1e-12 * directions;
    }

    private static int Padded(int count) => (count + RowGroup - 1) / RowGroup * RowGroup;

    private static float RoundUp(double value)
    {
        float single = (float)value;
        return single < value ? MathF.BitIncrement(single) : single;
    }

    private static double Max(double[] values)
    {
        double max = 0;
        foreach (double v in values) max = Math.Max(max, v);
        return max;
    }
}
