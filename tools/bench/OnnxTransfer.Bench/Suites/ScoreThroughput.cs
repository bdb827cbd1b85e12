using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Inference.Scoring;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// Batch scoring against extraction on the same images, batch size and threads: `score` (fused model → Parquet score
/// parts) versus `extract` (backbone → embedding cache), images/s of the whole run from a cold output folder. One per
/// process (--impl score|extract). Goal (issue 6): score ≥ 0.9× extract.
/// </summary>
public static class ScoreThroughput
{
    public static void Run(Arguments options)
    {
        var impl = options.Required("impl");
        var input = InputSet.Open(options.Required("images"));
        var batch = options.Int("batch", 32);
        var threads = options.Int("decode-threads", 0);
        var runs = options.Int("runs", 3);
        var work = options.Required("work");
        var label = options.Optional("label") ?? Path.GetFileName(input.Source);

        var seconds = new List<double>();
        switch (impl)
        {
            case "score":
            {
                using var predictor = Predictor.FromFusedModel(options.Required("fused"), new PredictorOptions { MaxBatchSize = batch, AllowSpinning = false });
                var scorer = new BatchScorer(predictor, new ScoringOptions { DecodeThreads = threads });
                for (var r = 0; r <= runs; r++)
                {
                    var output = Path.Combine(work, $"score-{r}");
                    if (Directory.Exists(output)) Directory.Delete(output, true);
                    var summary = scorer.Run(input, output);
                    if (r > 0) seconds.Add(summary.Elapsed.TotalSeconds); // run 0 warms up (JIT, ORT arena, page cache)
                }
                break;
            }
            case "extract":
            {
                using var backbone = ImageBackbone.Load(BackboneSpecFile.Load(options.Required("backbone")));
                var pipeline = new ExtractionPipeline(backbone, new ExtractionOptions { BatchSize = batch, DecodeThreads = threads });
                for (var r = 0; r <= runs; r++)
                {
                    var output = Path.Combine(work, $"extract-{r}");
                    if (Directory.Exists(output)) Directory.Delete(output, true);
                    using var cache = EmbeddingCache.OpenForWriting(output, ExtractionPipeline.ManifestFor(backbone));
                    var summary = pipeline.Run(input, cache);
                    if (r > 0) seconds.Add(summary.Elapsed.TotalSeconds);
                }
                break;
            }
            default:
                throw new ArgumentException($"--impl {impl}: use score or extract");
        }
        seconds.Sort();
        var median = seconds[seconds.Count / 2];
        ResultWriter.Write("score", $"{label} ({input.Count} images, batch {batch})", impl == "score" ? "onnxtransfer" : "extract", "images/s",
            input.Count / median, lowerIsBetter: false,
            new Dictionary<string, string> { ["runs"] = string.Join(" ", seconds.Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture))) });
    }
}
