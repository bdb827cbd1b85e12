namespace OnnxTransfer.Training.Linear;

/// <summary>
/// A differentiable objective: returns f(x) and writes ∇f(x) into <c>gradient</c>. Each call is one pass over the data.
/// </summary>
internal delegate double Objective(ReadOnlySpan<double> x, Span<double> gradient);

/// <summary>Outcome of <see cref="Lbfgs.Minimize"/>.</summary>
internal readonly record struct LbfgsResult(int Iterations, int Evaluations, double Value, double GradientMaxNorm, bool Converged, string StopReason);

/// <summary>
/// Limited-memory BFGS (Nocedal &amp; Wright, Numerical Optimization, 2nd ed., Alg. 7.4 two-loop recursion) with a
/// strong-Wolfe line search (Alg. 3.5/3.6, cubic interpolation). Our own rather than MathNet's: the parameters are few
/// (classes × features) while every evaluation is a full pass over the data, so the optimiser keeps its state in
/// preallocated double arrays and allocates nothing per iteration, and it stops on the stated test ‖∇f‖∞ ≤ tolerance.
/// </summary>
internal sealed class Lbfgs
{
    private const double C1 = 1e-4, C2 = 0.9;
    private const int MaxLineSearchEvaluations = 30;

    private readonly int _n;
    private readonly int _memory;
    private readonly double[][] _s, _y;
    private readonly double[] _rho, _alpha;
    private readonly double[] _g, _d, _xTrial, _gTrial, _xLow, _gLow;

    public Lbfgs(int parameterCount, int memory)
    {
        _n = parameterCount;
        _memory = memory;
        _s = new double[memory][];
        _y = new double[memory][];
        for (int i = 0; i < memory; i++)
        {
            _s[i] = new double[parameterCount];
            _y[i] = new double[parameterCount];
        }
        _rho = new double[memory];
        _alpha = new double[memory];
        _g = new double[parameterCount];
        _d = new double[parameterCount];
        _xTrial = new double[parameterCount];
        _gTrial = new double[parameterCount];
        _xLow = new double[parameterCount];
        _gLow = new double[parameterCount];
    }

    /// <summary>Minimises from <paramref name="x"/> (updated in place to the best point found).</summary>
    public LbfgsResult Minimize(Objective objective, double[] x, double tolerance, int maxIterations)
    {
        if (x.Length != _n) throw new ArgumentException($"Expected {_n} parameters, got {x.Length}.");
        int evaluations = 1;
        double f = objective(x, _g);
        if (!double.IsFinite(f)) return new LbfgsResult(0, evaluations, f, double.NaN, false, "objective is not finite at the start");
        double gMax = MaxAbs(_g);
        if (gMax <= tolerance) return new LbfgsResult(0, evaluations, f, gMax, true, "gradient tolerance reached");

        int stored = 0, newest = -1;
        for (int iteration = 1; iteration <= maxIterations; iteration++)
        {
            Direction(stored, newest);
            double slope = Dot(_g, _d);
            if (!(slope < 0))
            {
                // Curvature pairs gone stale (rounding): restart from steepest descent.
                stored = 0;
                for (int i = 0; i < _n; i++) _d[i] = -_g[i];
                slope = Dot(_g, _d);
            }
            double step = iteration == 1 ? Math.Min(1.0, 1.0 / Math.Sqrt(Dot(_g, _g))) : 1.0;

            var (found, fNew, used) = LineSearch(objective, x, f, slope, step);
            evaluations += used;
            if (!found)
                return new LbfgsResult(iteration - 1, evaluations, f, gMax, gMax <= tolerance,
                    "no further decrease possible (line search failed: objective at the limit of float precision)");

            // s = x_new − x, y = g_new − g, stored in the ring buffer when the curvature condition holds.
            int slot = (newest + 1) % _memory;
            var s = _s[slot];
            var y = _y[slot];
            for (int i = 0; i < _n; i++)
            {
                s[i] = _xLow[i] - x[i];
                y[i] = _gLow[i] - _g[i];
            }
            double sy = Dot(s, y);
            if (sy > 1e-12 * Dot(y, y))
            {
                _rho[slot] = 1.0 / sy;
                newest = slot;
                stored = Math.Min(stored + 1, _memory);
            }
            _xLow.CopyTo(x, 0);
            _gLow.CopyTo(_g, 0);
            f = fNew;
            gMax = MaxAbs(_g);
            if (gMax <= tolerance) return new LbfgsResult(iteration, evaluations, f, gMax, true, "gradient tolerance reached");
        }
        return new LbfgsResult(maxIterations, evaluations, f, gMax, false, "iteration limit reached");
    }

    /// <summary>d = −H·g by the two-loop recursion over the stored pairs, newest first.</summary>
    private void Direction(int stored, int newest)
    {
        for (int i = 0; i < _n; i++) _d[i] = -_g[i];
        if (stored == 0) return;
        int slot = newest;
        for (int k = 0; k < stored; k++)
        {
            _alpha[slot] = _rho[slot] * Dot(_s[slot], _d);
            Axpy(-_alpha[slot], _y[slot], _d);
            slot = (slot - 1 + _memory) % _memory;
        }
        // Initial Hessian γI with γ = sᵀy / yᵀy of the newest pair.
        double gamma = 1.0 / (_rho[newest] * Dot(_y[newest], _y[newest]));
        for (int i = 0; i < _n; i++) _d[i] *= gamma;
        slot = (newest - stored + 1 + _memory) % _memory;
        for (int k = 0; k < stored; k++)
        {
            double beta = _rho[slot] * Dot(_y[slot], _d);
            Axpy(_alpha[slot] - beta, _s[slot], _d);
            slot = (slot + 1) % _memory;
        }
    }

    /// <summary>
    /// Line search along _d from x for a step meeting the strong Wolfe conditions, or their "approximate" form (Hager &amp;
    /// Zhang, 2005): the objective runs in float, so near the optimum its changes drown in rounding; then a step is
    /// accepted when f rose by no more than that rounding (ε = 1e-6·|f|) and the slope satisfies the curvature condition,
    /// and brackets are narrowed by the sign of the slope (accurate: it comes from the gradient) rather than by f.
    /// On success the accepted point and its gradient are in _xLow/_gLow.
    /// </summary>
    private (bool Found, double Value, int Evaluations) LineSearch(Objective objective, double[] x, double f0, double slope0, double initialStep)
    {
        double noise = 1e-6 * Math.Abs(f0);
        int evaluations = 0;
        // Invariant: low has a negative slope and acceptable value (step 0 at first); high, once set, does not.
        double low = 0, lowValue = f0, lowSlope = slope0;
        double high = double.NaN, highValue = double.NaN, highSlope = double.NaN;
        bool lowIsPoint = false;
        double step = initialStep;
        while (evaluations < MaxLineSearchEvaluations)
        {
            double value = Evaluate(objective, x, step, out double slope);
            evaluations++;
            bool finite = double.IsFinite(value) && double.IsFinite(slope);
            bool decreased = finite && value <= f0 + C1 * step * slope0;
            bool withinNoise = finite && value <= f0 + noise;
            if ((decreased || withinNoise) && Math.Abs(slope) <= -C2 * slope0)
            {
                Accept();
                return (true, value, evaluations);
            }
            if (finite && slope < 0 && (decreased || withinNoise))
            {
                Accept();
                low = step;
                lowValue = value;
                lowSlope = slope;
                lowIsPoint = true;
            }
            else
            {
                high = step;
                highValue = finite ? value : double.PositiveInfinity;
                highSlope = finite ? slope : double.NaN;
            }

            if (double.IsNaN(high)) step *= 2.5; // still descending: extrapolate
            else
            {
                step = Interpolate(low, lowValue, lowSlope, high, highValue, highSlope, noise);
                if (high - low <= 1e-12 * high) break;
            }
        }
        // Out of evaluations: a point that descended is still progress.
        return lowIsPoint ? (true, lowValue, evaluations) : (false, f0, evaluations);
    }

    private double Evaluate(Objective objective, double[] x, double step, out double slope)
    {
        for (int i = 0; i < _n; i++) _xTrial[i] = x[i] + step * _d[i];
        double value = objective(_xTrial, _gTrial);
        slope = Dot(_gTrial, _d);
        return value;
    }

    private void Accept()
    {
        _xTrial.CopyTo(_xLow, 0);
        _gTrial.CopyTo(_gLow, 0);
    }

    /// <summary>
    /// Next trial step inside (low, high): the cubic's minimiser when both values are meaningful, the secant root of the
    /// slope when the values are within rounding noise, else bisection; kept 10% away from the ends.
    /// </summary>
    private static double Interpolate(double low, double lowValue, double lowSlope, double high, double highValue, double highSlope, double noise)
    {
        double width = high - low, candidate = double.NaN;
        if (double.IsFinite(highValue) && double.IsFinite(highSlope))
        {
            if (Math.Abs(highValue - lowValue) > noise)
            {
                double d1 = lowSlope + highSlope - 3 * (lowValue - highValue) / (low - high);
                double discriminant = d1 * d1 - lowSlope * highSlope;
                if (discriminant >= 0)
                {
                    double d2 = Math.Sqrt(discriminant);
                    candidate = high - width * (highSlope + d2 - d1) / (highSlope - lowSlope + 2 * d2);
                }
            }
            else if (highSlope > lowSlope)
            {
                candidate = low - lowSlope * width / (highSlope - lowSlope);
            }
        }
        return double.IsFinite(candidate) && candidate > low + 0.1 * width && candidate < high - 0.1 * width
            ? candidate
            : low + 0.5 * width;
    }

    internal static double MaxAbs(ReadOnlySpan<double> values)
    {
        double max = 0;
        foreach (var v in values) max = Math.Max(max, Math.Abs(v));
        return max;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    private static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] += alpha * x[i];
    }
}
