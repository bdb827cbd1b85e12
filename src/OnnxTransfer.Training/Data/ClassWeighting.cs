using System.Globalization;

namespace OnnxTransfer.Training.Data;

/// <summary>How much each class's rows count in the loss: <see cref="None"/>, <see cref="Balanced"/> or explicit.</summary>
public enum ClassWeightingKind { None, Balanced, Explicit }

/// <summary>
/// Per-class loss weights, as scikit-learn's <c>class_weight</c>: <see cref="Balanced"/> gives class c the weight
/// <c>n / (classes · n_c)</c> computed on the training split; <see cref="Explicit"/> names weights by label (classes
/// not named weigh 1). A row of weight 2 counts exactly like the same row twice.
/// </summary>
public sealed class ClassWeighting
{
    private readonly IReadOnlyDictionary<string, double>? _weights;

    private ClassWeighting(ClassWeightingKind kind, IReadOnlyDictionary<string, double>? weights)
    {
        Kind = kind;
        _weights = weights;
    }

    public ClassWeightingKind Kind { get; }

    /// <summary>The explicit weights by label (null unless <see cref="Kind"/> is Explicit).</summary>
    public IReadOnlyDictionary<string, double>? Weights => _weights;

    public static ClassWeighting None { get; } = new(ClassWeightingKind.None, null);

    public static ClassWeighting Balanced { get; } = new(ClassWeightingKind.Balanced, null);

    /// <exception cref="ArgumentException">A weight that is not finite and positive.</exception>
    public static ClassWeighting Explicit(IReadOnlyDictionary<string, double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        foreach (var (label, weight) in weights)
        {
            if (!double.IsFinite(weight) || weight <= 0)
                throw new ArgumentException($"Class weight for '{label}' is {weight}; weights must be finite and > 0 (drop the class from the data instead of weighting it 0).", nameof(weights));
        }
        return new ClassWeighting(ClassWeightingKind.Explicit, new Dictionary<string, double>(weights, StringComparer.Ordinal));
    }

    /// <summary>The weight of every class of <paramref name="train"/>, indexed like its class list.</summary>
    /// <exception cref="TrainingDataException">An explicit weight names a label that is not a class.</exception>
    public double[] Resolve(EmbeddingSet train)
    {
        ArgumentNullException.ThrowIfNull(train);
        return Resolve(train.Labelled);
    }

    internal double[] Resolve(LabelledRows train)
    {
        var classes = train.Classes;
        var weights = new double[classes.Count];
        Array.Fill(weights, 1.0);
        switch (Kind)
        {
            case ClassWeightingKind.Balanced:
                var counts = train.CountPerClass();
                for (int c = 0; c < weights.Length; c++)
                    weights[c] = counts[c] == 0 ? 0 : (double)train.Count / (classes.Count * (double)counts[c]);
                break;
            case ClassWeightingKind.Explicit:
                var index = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int c = 0; c < classes.Count; c++) index[classes[c]] = c;
                foreach (var (label, weight) in _weights!)
                {
                    if (!index.TryGetValue(label, out var c))
                        throw new TrainingDataException(
                            $"Class weight given for '{label}', which is not a class of split '{train.Name}' [{string.Join(", ", classes)}]. Check the spelling.", train.Name);
                    weights[c] = weight;
                }
                break;
        }
        return weights;
    }

    public override string ToString() => Kind switch
    {
        ClassWeightingKind.Explicit => "explicit(" + string.Join(", ", _weights!.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value.ToString("R", CultureInfo.InvariantCulture))) + ")",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}
