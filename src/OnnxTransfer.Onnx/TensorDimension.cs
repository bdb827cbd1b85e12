namespace OnnxTransfer.Onnx;

/// <summary>
/// One dimension of a tensor shape: a fixed size (<see cref="Value"/>), a named symbolic size such as "batch_size"
/// (<see cref="Symbol"/>), or unknown (neither).
/// </summary>
public readonly record struct TensorDimension
{
    private TensorDimension(long? value, string? symbol)
    {
        Value = value;
        Symbol = symbol;
    }

    public long? Value { get; }
    public string? Symbol { get; }

    public bool IsFixed => Value.HasValue;
    public bool IsSymbolic => Symbol is not null;
    public bool IsUnknown => !Value.HasValue && Symbol is null;

    public static TensorDimension Fixed(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return new TensorDimension(value, null);
    }

    public static TensorDimension Symbolic(string symbol)
    {
        ArgumentException.ThrowIfNullOrEmpty(symbol);
        return new TensorDimension(null, symbol);
    }

    public static TensorDimension Unknown => default;

    public static implicit operator TensorDimension(long value) => Fixed(value);
    public static implicit operator TensorDimension(string symbol) => Symbolic(symbol);

    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}
