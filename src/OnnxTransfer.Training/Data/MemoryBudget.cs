using System.Globalization;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// How much memory training may use for embeddings. A split whose in-memory footprint (its features and the copies a
/// fit makes of them) fits is loaded into one buffer; a larger one is streamed from its Parquet parts
/// (<see cref="StreamedSplit"/>) in chunks of a quarter of the budget. Default: half of the memory available to the
/// process (<c>GCMemoryInfo.TotalAvailableMemoryBytes</c>, which honours container limits).
/// </summary>
public sealed record MemoryBudget
{
    public const double DefaultFraction = 0.5;

    /// <summary>Chunks are at least this large (unless the split is smaller), so a tiny budget still streams sensibly.</summary>
    public const long MinimumChunkBytes = 1L << 20;

    public MemoryBudget(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1L << 20, nameof(bytes));
        Bytes = bytes;
    }

    public long Bytes { get; }

    public static MemoryBudget Default => FractionOfAvailable(DefaultFraction);

    public static MemoryBudget FractionOfAvailable(double fraction)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction must be within (0, 1].");
        return new MemoryBudget(Math.Max(1L << 20, (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * fraction)));
    }

    /// <summary>Bytes per chunk when streaming: a quarter of the budget (two chunk buffers, a row group and the rest).</summary>
    public long ChunkBytes => Math.Max(MinimumChunkBytes, Bytes / 4);

    /// <summary>Whether <paramref name="featureBytes"/> of features, held <paramref name="copies"/> times, fit.</summary>
    public bool Fits(long featureBytes, int copies = 2) => featureBytes * (double)copies <= Bytes;

    /// <summary>
    /// Parses "4GiB", "512MiB", "2G", "750MB", "1073741824" (bytes) or "25%" (of available memory). K/M/G/T are
    /// binary multiples with or without "iB"/"B" (memory sizes, as free and top print them).
    /// </summary>
    /// <exception cref="FormatException">Not a size; the message shows the accepted forms.</exception>
    public static MemoryBudget Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        try
        {
            if (s.EndsWith('%'))
            {
                var percent = double.Parse(s[..^1], NumberStyles.Float, CultureInfo.InvariantCulture);
                return FractionOfAvailable(percent / 100);
            }
            int unitStart = s.Length;
            while (unitStart > 0 && char.IsLetter(s[unitStart - 1])) unitStart--;
            var number = double.Parse(s[..unitStart], NumberStyles.Float, CultureInfo.InvariantCulture);
            double multiplier = s[unitStart..].ToUpperInvariant() switch
            {
                "" or "B" => 1,
                "K" or "KB" or "KIB" => 1L << 10,
                "M" or "MB" or "MIB" => 1L << 20,
                "G" or "GB" or "GIB" => 1L << 30,
                "T" or "TB" or "TIB" => 1L << 40,
                _ => throw new FormatException(),
            };
            if (!(number > 0) || !double.IsFinite(number)) throw new FormatException();
            return new MemoryBudget((long)(number * multiplier));
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            throw new FormatException(
                $"'{text}' is not a memory budget: give a size of at least 1MiB such as 4GiB, 512MiB, 2G, or a share of available memory such as 25%.", e);
        }
    }

    public override string ToString() => Format(Bytes);

    /// <summary>"1.5 GiB", "300 MiB", "12 KiB".</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString(value < 10 && unit > 0 ? "0.#" : "0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
