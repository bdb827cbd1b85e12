using System.Text;

namespace OnnxTransfer.Runtime;

/// <summary>
/// The declared shape of a model input or output: a size per dimension, where a dimension the model leaves open has
/// size -1 and keeps its symbolic name when the model gives one (e.g. <c>[batch_size,3,224,224]</c>).
/// </summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    private readonly long[] _dimensions;
    private readonly string?[] _names;

    public TensorShape(ReadOnlySpan<long> dimensions, IReadOnlyList<string?>? symbolicNames = null)
    {
        if (symbolicNames is not null && symbolicNames.Count != dimensions.Length)
            throw new ArgumentException($"{symbolicNames.Count} symbolic names for {dimensions.Length} dimensions.", nameof(symbolicNames));
        _dimensions = dimensions.ToArray();
        _names = new string?[_dimensions.Length];
        for (int i = 0; i < _dimensions.Length; i++)
        {
            if (_dimensions[i] < 0) _dimensions[i] = -1;
            var name = symbolicNames?[i];
            _names[i] = _dimensions[i] < 0 && !string.IsNullOrEmpty(name) ? name : null;
        }
    }

    public int Rank => _dimensions.Length;

    /// <summary>Size of each dimension; -1 where the model leaves the dimension open.</summary>
    public ReadOnlySpan<long> Dimensions => _dimensions;

    public long this[int index] => _dimensions[index];

    /// <summary>The symbolic name of an open dimension ("batch_size"), or null for a fixed or unnamed dimension.</summary>
    public string? SymbolicName(int index) => _names[index];

    public bool IsDynamic(int index) => _dimensions[index] < 0;

    /// <summary>True when every dimension has a fixed size.</summary>
    public bool IsFixed => Array.TrueForAll(_dimensions, d => d >= 0);

    /// <summary>
    /// Whether a concrete shape fits this declaration: same rank and equal sizes where the size is fixed. Returns the
    /// first mismatching dimension (or -1 for a rank mismatch) in <paramref name="badDimension"/>.
    /// </summary>
    public bool Accepts(ReadOnlySpan<long> concrete, out int badDimension)
    {
        badDimension = -1;
        if (concrete.Length != _dimensions.Length) return false;
        for (int i = 0; i < _dimensions.Length; i++)
        {
            if (_dimensions[i] >= 0 && _dimensions[i] != concrete[i])
            {
                badDimension = i;
                return false;
            }
        }
        return true;
    }

    /// <summary>"[batch_size,3,224,224]"; an open dimension without a name prints as "?".</summary>
    public override string ToString()
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < _dimensions.Length; i++)
        {
            if (i > 0) text.Append(',');
            if (_dimensions[i] >= 0) text.Append(_dimensions[i]);
            else text.Append(_names[i] ?? "?");
        }
        return text.Append(']').ToString();
    }

    /// <summary>Formats a concrete shape the same way, e.g. "[1,3,224,224]".</summary>
    public static string Format(ReadOnlySpan<long> shape)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) text.Append(',');
            text.Append(shape[i]);
        }
        return text.Append(']').ToString();
    }

    public bool Equals(TensorShape? other) =>
        other is not null && _dimensions.AsSpan().SequenceEqual(other._dimensions) && _names.AsSpan().SequenceEqual(other._names);

    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dimensions) hash.Add(d);
        return hash.ToHashCode();
    }
}
