using System.Diagnostics;
using System.Globalization;
using OnnxTransfer.Training.Audit;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Neighbours;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// The audit's near-duplicate search alone (<see cref="NearDuplicates.Within"/>: every row's nearest other row at cosine
/// ≥ the threshold, exact) on rows × dim made from real embeddings (<c>--from</c> a cache: each row a random mix of three
/// real rows plus Gaussian noise, clipped at 0 like pooled ReLU features), the last 1% planted copies of earlier rows
/// with 1–10% multiplicative noise. Reported: wall and CPU seconds of the whole search, the pairs it checked in full,
/// and the planted copies it found (all must be). Then, on <c>--check-rows</c> rows made the same way, the same search beside
/// the plain exact path (fp32 top-1 of every pair by BLAS, <see cref="CosineTopK.SearchWithin"/>, what audit ran
/// before), timed side by side, whose matches must be identical: same rows, same neighbours, cosines within 1e-6.
/// </summary>
public static class NeighbourSearch
{
    public static void Run(Arguments options)
    {
        int rows = options.Int("rows", 100_000), dim = options.Int("dim", 1280), threads = options.Int("threads", Environment.ProcessorCount);
        int checkRows = options.Int("check-rows", 10_000), checkRuns = options.Int("check-runs", 2);
        double threshold = options.Double("threshold", AuditSettings.DefaultDuplicateThreshold);
        var real = RealRows(options.Required("from"), dim);
        var data = MakeRows(real, rows, dim, seed: 7, out int planted);
        CosineTopK.NormalizeRows(data, dim);
        var compute = new ComputeOptions { DegreeOfParallelism = threads };
        string blas = (compute.Blas ?? Training.Blas.BlasBackend.Default).Name;
        var search = new CosineThresholdSearch(threshold, compute);

        var (nearest, seconds, cpu) = Timed(() => search.Within(data, dim));
        int found = 0, copiesFound = 0;
        for (int r = 0; r < rows; r++)
        {
            if (nearest.Neighbours[r] < 0) continue;
            found++;
            if (r >= rows - planted) copiesFound++;
        }
        string caseName = $"{rows} x {dim} from real embeddings, 1% planted copies";
        ResultWriter.Write("audit", caseName, "onnxtransfer", "near-duplicate search seconds", seconds, lowerIsBetter: true,
            new Dictionary<string, string>
            {
                ["threads"] = Text(threads),
                ["blas"] = blas,
                ["cpu_seconds"] = cpu.ToString("F1", CultureInfo.InvariantCulture),
                ["pairs"] = Text((long)rows * (rows - 1) / 2),
                ["sketch_candidates"] = Text(nearest.CandidatePairs),
                ["exact_checks"] = Text(nearest.ExactChecks),
                ["rows_with_a_copy"] = Text(found),
                ["planted_copies"] = Text(planted),
                ["copies_found"] = Text(copiesFound),
            });
        if (copiesFound != planted) throw new InvalidOperationException($"found {copiesFound} of {planted} planted copies");
        if (checkRows > 0)
        {
            var subset = MakeRows(real, checkRows, dim, seed: 8, out _);
            CosineTopK.NormalizeRows(subset, dim);
            CompareWithAllPairs(subset, dim, threshold, compute, blas, search, checkRuns);
        }
    }

    /// <summary>
    /// Both paths on the same rows, alternating (all-pairs, screened, screened, all-pairs) so neither always runs first
    /// on a machine whose load drifts; each side's figure is its faster run. <c>--check-runs 1</c> runs each once (for a
    /// check at full size, where the all-pairs path takes minutes).
    /// </summary>
    private static void CompareWithAllPairs(float[] rows, int dim, double threshold, ComputeOptions compute, string blas,
        CosineThresholdSearch search, int runs)
    {
        int count = rows.Length / dim;
        var allPairs = new List<(double Wall, double Cpu)>();
        var screened = new List<(double Wall, double Cpu)>();
        NeighbourLists? top = null;
        NearestAbove? nearest = null;
        foreach (bool plain in runs == 1 ? new[] { true, false } : new[] { true, false, false, true })
        {
            if (plain)
            {
                var (result, wall, cpu) = Timed(() => new CosineTopK(1, compute).SearchWithin(rows, dim));
                top = result;
                allPairs.Add((wall, cpu));
            }
            else
            {
                var (result, wall, cpu) = Timed(() => search.Within(rows, dim));
                nearest = result;
                screened.Add((wall, cpu));
            }
        }
        int matches = 0;
        double worst = 0;
        for (int r = 0; r < count; r++)
        {
            bool expected = top!.Cosine(r, 0) >= threshold;
            bool got = nearest!.Neighbours[r] >= 0;
            if (expected != got || (got && top.Index(r, 0) != nearest.Neighbours[r]))
                throw new InvalidOperationException(
                    $"row {r}: all-pairs says {(expected ? $"{top.Index(r, 0)} at {top.Cosine(r, 0):R}" : "none")}, screened says {(got ? $"{nearest.Neighbours[r]} at {nearest.Cosines[r]:R}" : "none")}");
            if (!got) continue;
            matches++;
            worst = Math.Max(worst, Math.Abs(top.Cosine(r, 0) - nearest.Cosines[r]));
        }
        if (worst > 1e-6) throw new InvalidOperationException($"cosines differ by {worst} between the paths");
        string caseName = $"{count} x {dim} from real embeddings, 1% planted copies";
        foreach (var (impl, timings) in new[] { ("onnxtransfer", screened), ("exact all-pairs fp32 (CosineTopK)", allPairs) })
        {
            var fastest = timings.MinBy(r => r.Wall);
            ResultWriter.Write("audit", caseName, impl, "near-duplicate search seconds", fastest.Wall, lowerIsBetter: true,
                new Dictionary<string, string>
                {
                    ["threads"] = Text(compute.DegreeOfParallelism),
                    ["blas"] = blas,
                    ["cpu_seconds"] = fastest.Cpu.ToString("F2", CultureInfo.InvariantCulture),
                    ["runs"] = string.Join(" ", timings.Select(r => r.Wall.ToString("F2", CultureInfo.InvariantCulture))),
                    ["rows_with_a_copy"] = Text(matches),
                    ["identical_matches"] = "yes",
                    ["largest_cosine_difference"] = worst.ToString("G3", CultureInfo.InvariantCulture),
                });
        }
    }

    private static (T Result, double Wall, double Cpu) Timed<T>(Func<T> run)
    {
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        var result = run();
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        process.Refresh();
        return (result, wall, (process.TotalProcessorTime - cpuBefore).TotalSeconds);
    }

    private static float[] RealRows(string cache, int dim)
    {
        var set = EmbeddingDataset.Open(cache).Load();
        if (set.Dimension != dim) throw new ArgumentException($"--dim {dim} but the cache's rows have {set.Dimension}");
        return set.Features.ToArray();
    }

    /// <summary>
    /// Each row a Dirichlet(1,1,1) mix of three random real rows plus N(0, 0.3²) per element, clipped at 0 (on the
    /// hymenoptera MobileNetV2 cache: elements average 0.58, so the noise is about 15% of a row's energy, and the nearest
    /// other row of a 10,000-row set lies at cosine 0.87 (median), 0.94 (max)); the last 1% are copies of earlier rows
    /// times (1 + s·N(0,1)) with s drawn from 1–10%.
    /// </summary>
    private static float[] MakeRows(float[] real, int rows, int dim, int seed, out int planted)
    {
        var random = new Random(seed);
        int realRows = real.Length / dim;
        var data = new float[(long)rows * dim];
        planted = rows / 100;
        int originals = rows - planted;
        Span<int> sources = stackalloc int[3];
        Span<double> weights = stackalloc double[3];
        for (int r = 0; r < originals; r++)
        {
            double total = 0;
            for (int k = 0; k < 3; k++)
            {
                sources[k] = random.Next(realRows);
                weights[k] = -Math.Log(1 - random.NextDouble());
                total += weights[k];
            }
            var row = data.AsSpan(r * dim, dim);
            for (int j = 0; j < dim; j++)
            {
                double value = 0.3 * Gaussian(random);
                for (int k = 0; k < 3; k++) value += weights[k] / total * real[sources[k] * dim + j];
                row[j] = (float)Math.Max(0, value);
            }
        }
        for (int r = originals; r < rows; r++)
        {
            int source = random.Next(originals);
            double scale = 0.01 + 0.09 * random.NextDouble();
            for (int j = 0; j < dim; j++) data[(long)r * dim + j] = data[(long)source * dim + j] * (float)(1 + scale * Gaussian(random));
        }
        return data;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
