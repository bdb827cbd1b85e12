using System.Diagnostics;
using System.Globalization;
using OnnxTransfer.Training.Audit;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Neighbours;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// The audit's near-duplicate search alone: every row of a rows × dim matrix against every other (exact cosine, nearest
/// neighbour, <see cref="NearDuplicates.Within"/>), on <c>--threads</c> workers. The rows are non-negative (like pooled
/// ReLU features), seeded, with 1% planted copies carrying small noise so the search has something to find and the
/// count it finds is checked. One timed run (it is long); the planted copies found are reported beside it.
/// </summary>
public static class NeighbourSearch
{
    public static void Run(Arguments options)
    {
        int rows = options.Int("rows", 100_000), dim = options.Int("dim", 1280), threads = options.Int("threads", Environment.ProcessorCount);
        double threshold = options.Double("threshold", AuditSettings.DefaultDuplicateThreshold);
        var data = MakeRows(rows, dim, seed: 7, out int planted);
        CosineTopK.NormalizeRows(data, dim);
        var compute = new ComputeOptions { DegreeOfParallelism = threads };
        var start = Stopwatch.GetTimestamp();
        var matches = NearDuplicates.Within(data, dim, threshold, compute);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        int foundCopies = matches.Count(m => m.Row >= rows - planted);
        ResultWriter.Write("audit", $"{rows} x {dim}", "onnxtransfer", "near-duplicate search seconds", seconds, lowerIsBetter: true,
            new Dictionary<string, string>
            {
                ["threads"] = threads.ToString(CultureInfo.InvariantCulture),
                ["blas"] = (compute.Blas ?? Training.Blas.BlasBackend.Default).Name,
                ["planted_copies"] = planted.ToString(CultureInfo.InvariantCulture),
                ["copies_found"] = foundCopies.ToString(CultureInfo.InvariantCulture),
                ["pairs_per_second"] = ((double)rows * rows / seconds).ToString("G3", CultureInfo.InvariantCulture),
            });
        if (foundCopies != planted) throw new InvalidOperationException($"found {foundCopies} of {planted} planted copies");
    }

    /// <summary>|Gaussian| rows; the last 1% are copies of earlier rows with 1% noise.</summary>
    private static float[] MakeRows(int rows, int dim, int seed, out int planted)
    {
        var random = new Random(seed);
        var data = new float[(long)rows * dim];
        planted = rows / 100;
        int originals = rows - planted;
        for (long i = 0; i < (long)originals * dim; i++) data[i] = MathF.Abs(Gaussian(random));
        for (int r = originals; r < rows; r++)
        {
            int source = random.Next(originals);
            for (int j = 0; j < dim; j++) data[(long)r * dim + j] = data[(long)source * dim + j] * (1 + 0.01f * Gaussian(random));
        }
        return data;
    }

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
