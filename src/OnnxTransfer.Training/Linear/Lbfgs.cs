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
    private const int MaxLineSearchEvaluations = 25;

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
    /// Strong-Wolfe search along _d from x. On success the accepted point and its gradient are in _xLow/_gLow.
    /// </summary>
    private (bool Found, double Value, int Evaluations) LineSearch(Objective objective, double[] x, double f0, double slope0, double initialStep)
    {
        int evaluations = 0;
        double previousStep = 0, previousValue = f0, previousSlope = slope0;
        double step = initialStep;
        bool havePrevious = false;
        while (evaluations < MaxLineSearchEvaluations)
        {
            double value = Evaluate(objective, x, step, out double slope);
            evaluations++;
            if (!double.IsFinite(value) || value > f0 + C1 * step * slope0 || (havePrevious && value >= previousValue))
                return Zoom(objective, x, f0, slope0, previousStep, previousValue, previousSlope, step, value, slope, havePrevious, ref evaluations);
            Accept();
            if (Math.Abs(slope) <= -C2 * slope0) return (true, value, evaluations);
            if (slope >= 0)
                return Zoom(objective, x, f0, slope0, step, value, slope, previousStep, previousValue, previousSlope, true, ref evaluations);
            previousStep = step;
            previousValue = value;
            previousSlope = slope;
            havePrevious = true;
            step *= 2.5;
        }
        // Out of evaluations while still descending: the last accepted point satisfies sufficient decrease.
        return havePrevious ? (true, previousValue, evaluations) : (false, f0, evaluations);
    }

    private (bool Found, double Value, int Evaluations) Zoom(Objective objective, double[] x, double f0, double slope0,
        double low, double lowValue, double lowSlope, double high, double highValue, double highSlope, bool lowIsPoint, ref int evaluations)
    {
        // lowIsPoint: the low end is an evaluated step > 0 whose point sits in _xLow/_gLow (else it is the start, step 0).
        while (evaluations < MaxLineSearchEvaluations)
        {
            double step = Interpolate(low, lowValue, lowSlope, high, highValue, highSlope);
            double value = Evaluate(objective, x, step, out double slope);
            evaluations++;
            if (!double.IsFinite(value) || value > f0 + C1 * step * slope0 || value >= lowValue)
            {
                high = step;
                highValue = double.IsFinite(value) ? value : double.MaxValue;
                highSlope = double.IsFinite(slope) ? slope : 0;
            }
            else
            {
                Accept();
                if (Math.Abs(slope) <= -C2 * slope0) return (true, value, evaluations);
                if (slope * (high - low) >= 0)
                {
                    high = low;
                    highValue = lowValue;
                    highSlope = lowSlope;
                }
                low = step;
                lowValue = value;
                lowSlope = slope;
                lowIsPoint = true;
            }
            if (Math.Abs(high - low) <= 1e-16 * Math.Max(1.0, Math.Abs(low))) break;
        }
        // A point with sufficient decrease (but not the curvature condition) is still progress: take it.
        return lowIsPoint && lowValue < f0 ? (true, lowValue, evaluations) : (false, f0, evaluations);
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

    /// <summary>Minimiser of the cubic through both ends, kept inside the interval (else bisection).</summary>
    private static double Interpolate(double a, double fa, double ga, double b, double fb, double gb)
    {
        double lower = Math.Min(a, b), upper = Math.Max(a, b), width = upper - lower;
        if (fb < double.MaxValue)
        {
            double d1 = ga + gb - 3 * (fa - fb) / (a - b);
            double discriminant = d1 * d1 - ga * gb;
            if (discriminant >= 0)
            {
                double d2 = Math.Sign(b - a) * Math.Sqrt(discriminant);
                double step = b - (b - a) * (gb + d2 - d1) / (gb - ga + 2 * d2);
                if (double.IsFinite(step) && step > lower + 0.1 * width && step < upper - 0.1 * width) return step;
            }
        }
        return lower + 0.5 * width;
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
