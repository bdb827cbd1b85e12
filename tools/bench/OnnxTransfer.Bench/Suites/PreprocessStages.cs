using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using OnnxTransfer.Imaging;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// Where the time of one image's preparation goes (OnnxTransfer.Imaging alone, no model), per image and per thread:
/// <c>decode</c> (read the file + libvips JPEG decode into RGB), <c>decode+resample</c> (+ the PIL-exact resize and crop
/// into 8-bit RGB), <c>decode+preprocess</c> (the whole preparation into the float tensor, what extraction does). The
/// stage costs are the differences. Each is timed on 1 thread and on every core (--threads), so per-image cost at N
/// threads can be set against 1 thread: libvips' own thread pool or caches oversubscribing would show there.
/// <c>preprocess alone</c> runs the resampler and normalisation on images decoded beforehand; <c>decode through
/// libvips</c> decodes the same JPEGs without TurboJPEG (every non-JPEG's road, and every JPEG's without libturbojpeg).
/// tools/bench/peers/pil_prepare.py times PIL's decode + torchvision's transforms the same way, in processes, for the
/// machine's own scaling.
/// </summary>
public static class PreprocessStages
{
    public static void Run(Arguments options)
    {
        var folder = options.Required("images");
        var runs = options.Int("runs", 3);
        var threads = options.Int("threads", Environment.ProcessorCount);
        var label = options.Optional("label") ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        var distinct = Directory.EnumerateFiles(folder, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        if (distinct.Length == 0) throw new ArgumentException($"--images {folder}: no .jpg files");
        // On N threads, at least 64 images per thread in each run, so the last few images of unequal sizes (the tail where
        // threads sit idle) stay a small part of the time: 153 photos on 16 threads would be under 10 each.
        int RepeatFor(int threadCount) => Math.Max(1, (64 * threadCount + distinct.Length - 1) / distinct.Length);

        var decoder = new ImageDecoder();
        var throughVips = new ImageDecoder(new ImageDecoderOptions { DirectJpeg = false });
        var preprocessor = new ImagePreprocessor(PreprocessSettings.ImageNet);
        var settings = preprocessor.Settings;
        Action<string, byte[], float[]>[] stages =
        [
            (path, _, _) => { using var image = decoder.Decode(path, preprocessor); },
            (path, bytes, _) => { using var image = decoder.Decode(path, preprocessor); preprocessor.Resample(image.View, bytes); },
            (path, _, tensor) => { using var image = decoder.Decode(path, preprocessor); preprocessor.Process(image, tensor); },
        ];
        // Decoded once, untimed, for the preprocessing-alone stage (the resampler and normalisation without the decode).
        var decoded = distinct.Select(path => { using var image = decoder.Decode(path, preprocessor); return (image.Pixels.ToArray(), image.Width, image.Height); }).ToArray();
        var index = distinct.Select((path, i) => (path, i)).ToDictionary(p => p.path, p => p.i);
        stages = [.. stages, (path, _, tensor) =>
        {
            var (pixels, width, height) = decoded[index[path]];
            preprocessor.Process(new RgbImageView(pixels, width, height), tensor);
        }, (path, _, _) => { using var image = throughVips.Decode(path, preprocessor); }];
        string[] names = ["decode", "decode+resample", "decode+preprocess", "preprocess alone", "decode through libvips"];
        // Each thread's output buffers, made on its first image (in the warm-up run): the allocation measured is ours.
        using var buffers = new ThreadLocal<(byte[], float[])>(() => (new byte[settings.Width * settings.Height * 3], new float[preprocessor.TensorLength]));
        foreach (var threadCount in threads == 1 ? [1] : new[] { 1, threads })
        {
            var repeat = RepeatFor(threadCount);
            var paths = Enumerable.Repeat(distinct, repeat).SelectMany(p => p).ToArray();
            for (var s = 0; s < stages.Length; s++)
            {
                var stage = stages[s];
                var seconds = new List<double>();
                var cpuSeconds = new List<double>();
                long allocated = 0;
                int collections = 0;
                for (var run = 0; run <= runs; run++) // run 0 warms up (JIT, pools, kernel caches)
                {
                    var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
                    long allocatedStart = GC.GetTotalAllocatedBytes(precise: true);
                    int collectionsStart = GC.CollectionCount(0);
                    var start = Stopwatch.GetTimestamp();
                    // Handed out one at a time (not in fixed ranges), as extraction's decode workers take them.
                    Parallel.ForEach(Partitioner.Create(paths, EnumerablePartitionerOptions.NoBuffering),
                        new ParallelOptions { MaxDegreeOfParallelism = threadCount },
                        path => { var (bytes, tensor) = buffers.Value; stage(path, bytes, tensor); });
                    if (run > 0)
                    {
                        seconds.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                        cpuSeconds.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds);
                        allocated += GC.GetTotalAllocatedBytes(precise: true) - allocatedStart;
                        collections += GC.CollectionCount(0) - collectionsStart;
                    }
                }
                seconds.Sort();
                cpuSeconds.Sort();
                var median = seconds[seconds.Count / 2];
                ResultWriter.Write("preprocess", $"{label} {distinct.Length} images ×{repeat}, {threadCount} thread(s)", names[s],
                    "ms per image per thread", median * 1000 * threadCount / paths.Length, lowerIsBetter: true,
                    new Dictionary<string, string>
                    {
                        ["images_per_second"] = (paths.Length / median).ToString("F1", CultureInfo.InvariantCulture),
                        // CPU time is what a busy machine disturbs least (other processes take turns, not our work).
                        ["cpu_ms_per_image"] = (cpuSeconds[cpuSeconds.Count / 2] * 1000 / paths.Length).ToString("F3", CultureInfo.InvariantCulture),
                        ["runs_seconds"] = string.Join(" ", seconds.Select(x => x.ToString("F3", CultureInfo.InvariantCulture))),
                        // Managed bytes allocated per image and garbage collections per run: a collection stops every
                        // thread, so per-image allocation is a suspect when per-thread cost grows with the threads.
                        ["allocated_bytes_per_image"] = (allocated / ((double)paths.Length * runs)).ToString("F0", CultureInfo.InvariantCulture),
                        ["collections_per_run"] = (collections / (double)runs).ToString("F1", CultureInfo.InvariantCulture),
                        ["load_average"] = File.ReadAllText("/proc/loadavg").Split(' ')[0],
                    });
            }
        }
    }
}
