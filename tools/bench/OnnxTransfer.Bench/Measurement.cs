using System.Diagnostics;

namespace OnnxTransfer.Bench;

/// <summary>
/// Times an action the same way in every suite (and the peers do likewise): warm-up runs first, then each run timed
/// on its own, reported as median and 99th percentile so one slow run (a page-cache miss, a GC) does not hide the rest.
/// </summary>
public sealed class Measurement
{
    private Measurement(double[] sortedMilliseconds) => Sorted = sortedMilliseconds;

    public double[] Sorted { get; }
    public double Median => Percentile(0.5);
    public double P99 => Percentile(0.99);
    public double Mean => Sorted.Average();
    public double Total => Sorted.Sum();

    public static Measurement Run(int warmup, int iterations, Action action)
    {
        for (var i = 0; i < warmup; i++) action();
        var times = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return new Measurement(times);
    }

    /// <summary>Nearest-rank percentile of the sorted times.</summary>
    public double Percentile(double p)
    {
        var rank = (int)Math.Ceiling(p * Sorted.Length) - 1;
        return Sorted[Math.Clamp(rank, 0, Sorted.Length - 1)];
    }
}
