using System.Globalization;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Linear;

/// <summary>How a two-class problem is parameterised.</summary>
public enum BinaryFormulation
{
    /// <summary>One weight vector (scikit-learn's binary LogisticRegression); stored as logits [0, w·x + b].</summary>
    Logistic,
    /// <summary>A weight vector per class, as for more classes. Its optimum equals Logistic with twice the C.</summary>
    Multinomial,
}

/// <summary>
/// Settings of <see cref="SoftmaxRegressionTrainer"/>, in scikit-learn's parametrisation: the fit minimises
/// <c>Σᵢ sᵢ·logloss(xᵢ, yᵢ) + ‖W‖²/(2C)</c> (bias unpenalised, sᵢ the class weight of row i), which has the same optimum as
/// <c>LogisticRegression(C=C, class_weight=…)</c>. Internally it is divided by S = Σ sᵢ (mean loss + λ/2·‖W‖² with
/// λ = 1/(C·S)), and the tolerance applies to that scaled objective: converged means ‖∇f‖∞ ≤ <see cref="Tolerance"/>.
/// That is scikit-learn's lbfgs <c>tol</c> test from version 1.4 on (its loss is 1/n-scaled since
/// scikit-learn/scikit-learn#26721); versions up to 1.3 apply <c>tol</c> to the unscaled sum, which equals our
/// <c>Tolerance = tol / S</c> (e.g. 1e-4 / 50 000 = 2e-9).
/// </summary>
public sealed record SoftmaxRegressionSettings
{
    /// <summary>Inverse L2 strength (larger = weaker regularisation), &gt; 0.</summary>
    public double C { get; init; } = 1.0;

    /// <summary>Stop when ‖∇f‖∞ of the mean-scaled objective is at most this (&gt; 0).</summary>
    public double Tolerance { get; init; } = 1e-4;

    public int MaxIterations { get; init; } = 1000;

    /// <summary>L-BFGS memory (pairs kept), as scipy's maxcor.</summary>
    public int HistorySize { get; init; } = 10;

    public bool FitIntercept { get; init; } = true;

    public BinaryFormulation Binary { get; init; } = BinaryFormulation.Logistic;

    public PreprocessingKind Preprocessing { get; init; } = PreprocessingKind.Standardize;

    public ClassWeighting ClassWeights { get; init; } = ClassWeighting.None;

    /// <summary>
    /// Balanced sampling: the rows a fit trains on are oversampled, every smaller class drawn with replacement up to
    /// the largest (<see cref="ClassOversampling"/>; held-out folds are cut first and left as they are). Not together
    /// with class weights.
    /// </summary>
    public bool BalancedSampling { get; init; }

    /// <summary>Seeds the draws of <see cref="BalancedSampling"/>.</summary>
    public int Seed { get; init; }

    /// <summary>The seed of balanced sampling's draws when it is on, else null (what <see cref="PreparedSplit"/> takes).</summary>
    internal int? OversamplingSeed => BalancedSampling ? Seed : null;

    /// <summary>Refuses impossible values up front, naming the setting and a valid range.</summary>
    public void Validate()
    {
        if (!(C > 0) || !double.IsFinite(C))
            throw new ArgumentOutOfRangeException(nameof(C), C, "C (inverse L2 strength) must be finite and > 0, e.g. 1.0; sweep it over a log grid such as 1e-6 … 1e5.");
        if (!(Tolerance > 0) || !double.IsFinite(Tolerance))
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Tolerance must be finite and > 0, e.g. 1e-4.");
        if (MaxIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "MaxIterations must be at least 1, e.g. 1000.");
        if (HistorySize is < 1 or > 100)
            throw new ArgumentOutOfRangeException(nameof(HistorySize), HistorySize, "HistorySize must be within 1..100 (10 is usual).");
        ArgumentNullException.ThrowIfNull(ClassWeights);
        if (BalancedSampling && ClassWeights.Kind != ClassWeightingKind.None)
            throw new ArgumentException("BalancedSampling and ClassWeights both rebalance the classes; use one of them.", nameof(BalancedSampling));
        if (!Enum.IsDefined(Preprocessing)) throw new ArgumentOutOfRangeException(nameof(Preprocessing), Preprocessing, "Unknown preprocessing.");
        if (!Enum.IsDefined(Binary)) throw new ArgumentOutOfRangeException(nameof(Binary), Binary, "Unknown binary formulation.");
    }

    /// <summary>The settings as ordered name/value pairs (invariant culture), for reports and model metadata.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToPairs() =>
    [
        new("C", C.ToString("R", CultureInfo.InvariantCulture)),
        new("tolerance", Tolerance.ToString("R", CultureInfo.InvariantCulture)),
        new("max_iterations", MaxIterations.ToString(CultureInfo.InvariantCulture)),
        new("history_size", HistorySize.ToString(CultureInfo.InvariantCulture)),
        new("fit_intercept", FitIntercept ? "true" : "false"),
        new("binary", Binary.ToString().ToLowerInvariant()),
        new("preprocessing", Preprocessing.ToString()),
        new("class_weights", ClassWeights.ToString()),
        new("balanced_sampling", BalancedSampling ? "oversampled, seed " + Seed.ToString(CultureInfo.InvariantCulture) : "false"),
    ];
}
