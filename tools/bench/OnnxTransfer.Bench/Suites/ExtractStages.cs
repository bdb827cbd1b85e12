using System.Collections.Concurrent;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Features.Specs;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// Extraction on an image folder, images/s, one of three per process (--impl):
/// <c>pipeline</c> — the whole extraction into a fresh cache (decode workers overlapped with batched inference, writing);
/// <c>decode</c> — decoding + preprocessing alone, on every core; <c>backbone</c> — the backbone alone on tensors decoded
/// beforehand, on every core. report.mjs turns the last two into the limit 1/(1/decode + 1/inference) that two stages
/// sharing the same cores can reach, and compares the pipeline with it and with PyTorch (peers/torch_extract.py).
/// <c>--device cuda</c> runs the backbone on the GPU (strict: no CPU fallback), with the CLI's CUDA defaults (fixed batch
/// shapes, exhaustive cuDNN search, IOBinding with pinned buffers): tools/bench/gpu.sh's backbone-alone ceiling;
/// <c>--precision tf32</c> the same with TF32 convolutions (what PyTorch's cuDNN convolutions use by default),
/// <c>--precision fp16</c> with the model converted to float16; <c>--prefer-nhwc auto|on|off</c> as extract takes it
/// (auto: channels-last convolutions at tf32 and fp16).
/// </summary>
public static class ExtractStages
{
    public static void Run(Arguments options)
    {
        var impl = options.Required("impl");
        var spec = BackboneSpecFile.Load(options.Required("backbone"));
        var input = InputSet.Open(options.Required("images"));
        var batchSize = options.Int("batch", 32);
        var runs = options.Int("runs", 3);
        var label = options.Required("label");
        var paths = input.Items.Where(i => i.Failure is null).Select(i => i.Source).ToArray();

        var device = options.Optional("device") switch
        {
            null or "cpu" => DeviceKind.Cpu,
            "cuda" => DeviceKind.Cuda,
            var other => throw new ArgumentException($"--device {other}: use cpu or cuda"),
        };
        var preferNhwcText = options.Optional("prefer-nhwc") ?? "auto";
        var preferNhwc = GpuBatchNames.ParseSwitch(preferNhwcText) ?? throw new ArgumentException($"--prefer-nhwc {preferNhwcText}: use auto, on or off");
        var precisionText = options.Optional("precision") ?? "fp32";
        var precision = ComputePrecisionNames.Parse(precisionText) ?? throw new ArgumentException($"--precision {precisionText}: use fp32, tf32 or fp16");
        using var backbone = ImageBackbone.Load(spec, new BackboneRunOptions
        {
            Device = device, Strict = true, AllowSpinning = impl != "pipeline", Precision = precision, PreferNhwc = preferNhwc,
        });
        var tensors = impl == "backbone" ? DecodeAll(backbone, paths) : null; // not timed: the stage is inference alone
        var seconds = new List<double>();
        var stages = new List<string>(); // the pipeline's runs: where the time went
        for (var run = 0; run <= runs; run++)
        {
            var cpuStart = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            switch (impl)
            {
                case "pipeline":
                {
                    var folder = Path.Combine(options.Required("work"), $"cache-{run}");
                    if (Directory.Exists(folder)) Directory.Delete(folder, true);
                    using var cache = EmbeddingCache.OpenForWriting(folder, ExtractionPipeline.ManifestFor(backbone));
                    var summary = new ExtractionPipeline(backbone, new ExtractionOptions { BatchSize = batchSize }).Run(input, cache);
                    if (run > 0) stages.Add(StageLine(summary, start, cpuStart));
                    break;
                }
                case "decode":
                    Parallel.ForEach(Partitioner.Create(paths, EnumerablePartitionerOptions.NoBuffering),
                        new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                        () => new float[backbone.ImageLength],
                        (path, _, buffer) => { backbone.Prepare(path, buffer); return buffer; },
                        _ => { });
                    break;
                case "backbone":
                    EmbedAll(backbone, tensors!, batchSize);
                    break;
                default:
                    throw new ArgumentException($"--impl {impl}: use pipeline, decode or backbone");
            }
            if (run > 0) seconds.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds); // run 0 warms up
        }
        seconds.Sort();
        var median = seconds[seconds.Count / 2];
        var implName = impl switch { "pipeline" => "onnxtransfer", "decode" => "decode alone", _ => "backbone alone" };
        var details = new Dictionary<string, string>
        {
            ["images"] = paths.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["batch"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["runs_seconds"] = string.Join(" ", seconds.Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture))),
            ["peak_rss_mib"] = PeakResidentMiB(),
            ["providers"] = string.Join(",", backbone.ActiveProviders),
            ["precision"] = ComputePrecisionNames.Of(precision),
        };
        if (stages.Count > 0) details["pipeline_runs"] = string.Join("; ", stages);
        ResultWriter.Write("extract", label, implName, "images/s", paths.Length / median, lowerIsBetter: false, details);
    }

    /// <summary>
    /// One pipeline run: the pipeline's own elapsed time against the whole run (cache opening and commit around it),
    /// decode summed over threads, inference, inference's wait for images, writing, and the cores kept busy.
    /// </summary>
    private static string StageLine(ExtractionSummary summary, long start, TimeSpan cpuStart)
    {
        var wall = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
        var cpu = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return string.Create(c, $"run {wall:F2} s (pipeline {summary.Elapsed.TotalSeconds:F2}), decode {summary.DecodeTime.TotalSeconds:F2}, inference {summary.InferenceTime.TotalSeconds:F2}, waited {summary.InferenceWaitTime.TotalSeconds:F2}, write {summary.WriteTime.TotalSeconds:F2}, {cpu / wall:F2} cores busy");
    }

    private static float[][] DecodeAll(ImageBackbone backbone, string[] paths)
    {
        var tensors = new float[paths.Length][];
        Parallel.For(0, paths.Length, i => { tensors[i] = new float[backbone.ImageLength]; backbone.Prepare(paths[i], tensors[i]); });
        return tensors;
    }

    private static void EmbedAll(ImageBackbone backbone, float[][] tensors, int batchSize)
    {
        using var batch = backbone.CreateBatch(batchSize);
        var embeddings = new float[batchSize * backbone.Dimension];
        for (var first = 0; first < tensors.Length; first += batchSize)
        {
            var count = Math.Min(batchSize, tensors.Length - first);
            for (var i = 0; i < count; i++) tensors[first + i].CopyTo(batch.ImageSlot(i));
            backbone.Embed(batch, count, embeddings.AsSpan(0, count * backbone.Dimension));
        }
    }

    /// <summary>Peak resident memory of this process (VmHWM), as the PyTorch peer reports it.</summary>
    internal static string PeakResidentMiB()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kib = line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (kib / 1024.0).ToString("F0", System.Globalization.CultureInfo.InvariantCulture);
    }
}
