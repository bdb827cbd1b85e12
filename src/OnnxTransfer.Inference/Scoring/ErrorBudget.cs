using System.Globalization;

namespace OnnxTransfer.Inference.Scoring;

/// <summary>
/// How many inputs may fail before a scoring run counts as failed (<c>--max-errors</c>): a count (<c>10</c>) or a
/// fraction of the shard's inputs (<c>0.05</c> or <c>5%</c>). By default any number may fail but not every input: a run
/// in which nothing succeeded (a wrong folder, the wrong model) is no success. Every bad input is recorded either way.
/// </summary>
public readonly record struct ErrorBudget
{
    private ErrorBudget(long? count, double? fraction)
    {
        Count = count;
        Fraction = fraction;
    }

    /// <summary>No <c>--max-errors</c>: all but one of the inputs may fail.</summary>
    public static ErrorBudget Default => default;

    public bool IsDefault => Count is null && Fraction is null;

    public long? Count { get; }

    public double? Fraction { get; }

    public static ErrorBudget MaxCount(long count) =>
        count >= 0 ? new ErrorBudget(count, null) : throw new ArgumentOutOfRangeException(nameof(count), count, "--max-errors must be 0 or more.");

    public static ErrorBudget MaxFraction(double fraction) =>
        fraction is >= 0 and <= 1 ? new ErrorBudget(null, fraction) : throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "A fraction of errors must be 0 to 1.");

    /// <summary>Reads <c>N</c> (a count), <c>0.F</c> (a fraction below 1) or <c>P%</c>.</summary>
    /// <exception cref="FormatException">None of those forms.</exception>
    public static ErrorBudget Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t.EndsWith('%') && double.TryParse(t.AsSpan(0, t.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100)
            return MaxFraction(percent / 100);
        if (long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var count)) return MaxCount(count);
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) && fraction is >= 0 and < 1)
            return MaxFraction(fraction);
        throw new FormatException($"--max-errors \"{text}\" is not a count (10), a fraction (0.05) or a percentage (5%).");
    }

    /// <summary>The most failures allowed among <paramref name="inputs"/> inputs (null: no limit, for no inputs).</summary>
    public long? AllowedFor(long inputs) =>
        Count ?? (Fraction is { } f ? (long)Math.Floor(f * inputs + 1e-9) : inputs > 0 ? inputs - 1 : null);

    public bool IsExceeded(long errors, long inputs) => AllowedFor(inputs) is { } allowed && errors > allowed;

    public override string ToString() =>
        Count is { } c ? c.ToString(CultureInfo.InvariantCulture)
        : Fraction is { } f ? (f * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%"
        : "default (not every input)";
}
