using System.Diagnostics;
using System.Globalization;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport.Models;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Encoder;
using OnnxTransfer.Text.Input;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// Sentences per second of text extraction (tokenise → BERT-base-sized encoder with random weights → mean pooling + L2
/// → Parquet cache), the whole pipeline from a cold cache folder, median of --runs after a warm-up run. With --dump DIR
/// it also writes the token ids of every batch exactly as the pipeline plans them (windows of 16 batches sorted by
/// token count, each padded to its longest text) as .npy files, so the PyTorch peer (peers/torch_bert_extract.py) runs
/// the same architecture on the same batches: ids.npy and mask.npy (all batches, row-major, concatenated) and
/// batches.npy ([batches, 2]: rows and padded length of each).
/// </summary>
public static class TextExtraction
{
    public static void Run(Arguments options)
    {
        var work = options.Required("work");
        var rows = options.Int("rows", 512);
        var batch = options.Int("batch", 32);
        var threads = options.Int("threads", 0);
        var runs = options.Int("runs", 3);
        var maxLength = options.Int("max-length", 128);
        var size = options.Optional("model-size") ?? "base"; // tiny: the tests' encoder (hidden 64, 2 layers), for smoke runs
        var config = size == "tiny" ? TestBertConfig.Tiny : TestBertConfig.BaseSized;
        var label = options.Optional("label") ?? $"bert-{size} random";
        Directory.CreateDirectory(work);

        var model = Path.Combine(work, $"bert-{size}-random.onnx");
        if (!File.Exists(model))
        {
            var clock = Stopwatch.StartNew();
            TestBertModel.Save(config, model);
            Console.Error.WriteLine($"built {model} ({new FileInfo(model).Length / 1048576.0:F0} MiB) in {clock.Elapsed.TotalSeconds:F0} s");
        }
        var texts = Path.Combine(work, $"sst2-{rows}.txt");
        File.WriteAllLines(texts, File.ReadLines(options.Required("corpus")).Take(rows));
        var spec = new BackboneSpec
        {
            Name = $"bert-{size}-random",
            Kind = BackboneKind.Text,
            ModelPath = model,
            Text = new TextInputSpec { Tokenizer = options.Required("tokenizer"), MaxLength = maxLength, Pooling = TextPooling.Mean },
            Features = new FeatureSpec(FeatureSpec.Auto, FeaturePooling.None, L2Normalize: true),
        };
        using var backbone = TextBackbone.Load(spec, new BackboneRunOptions { IntraOpThreads = threads });
        var inputs = TextInputFiles.Open(texts, new TextInputOptions { LabelPrefix = true });
        var extraction = new ExtractionOptions { BatchSize = batch };
        if (options.Optional("dump") is { } dump) Dump(backbone, inputs, batch, dump);

        var seconds = new List<double>();
        for (var r = 0; r <= runs; r++)
        {
            var folder = Path.Combine(work, $"text-cache-{r}");
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
            using var cache = EmbeddingCache.OpenForWriting(folder, ExtractionPipeline.ManifestFor(backbone));
            var summary = new ExtractionPipeline(backbone, extraction).Run(inputs, cache);
            if (summary.Embedded != inputs.Count) throw new InvalidOperationException($"{summary.Failed} texts failed");
            if (r > 0) seconds.Add(summary.Elapsed.TotalSeconds); // run 0 warms up (JIT, ORT arena)
            Console.Error.WriteLine(summary);
        }
        seconds.Sort();
        var median = seconds[seconds.Count / 2];
        ResultWriter.Write("text", $"{label} extract {rows} SST-2 sentences batch {batch}", "onnxtransfer", "sentences/s", rows / median, lowerIsBetter: false,
            new Dictionary<string, string>
            {
                ["threads"] = threads.ToString(CultureInfo.InvariantCulture),
                ["includes"] = "tokenisation, encoder, mean pooling + L2, Parquet cache",
            });
    }

    /// <summary>The batches the pipeline runs (same windows, same bucketing, same padding), as .npy for the peer.</summary>
    private static void Dump(TextBackbone backbone, InputSet inputs, int batch, string folder)
    {
        Directory.CreateDirectory(folder);
        var ids = new List<long>();
        var mask = new List<long>();
        var shapes = new List<long>();
        var window = 16 * batch;
        for (var start = 0; start < inputs.Count; start += window)
        {
            var encodings = inputs.Items.Skip(start).Take(window).Select(i => backbone.Encode(i.Text!).Encoding!).ToArray();
            foreach (var planned in new LengthBucketingBatcher(batch).Plan(encodings))
            {
                var length = planned.Max(r => encodings[r].Length);
                foreach (var r in planned)
                {
                    var e = encodings[r];
                    for (var t = 0; t < length; t++)
                    {
                        ids.Add(t < e.Length ? e.Ids[t] : backbone.Tokenizer.PaddingId);
                        mask.Add(t < e.Length ? 1 : 0);
                    }
                }
                shapes.Add(planned.Length);
                shapes.Add(length);
            }
        }
        NpyFile.Write(Path.Combine(folder, "ids.npy"), NpyArray.FromSpan<long>(TensorElementType.Int64, [ids.Count], ids.ToArray()));
        NpyFile.Write(Path.Combine(folder, "mask.npy"), NpyArray.FromSpan<long>(TensorElementType.Int64, [mask.Count], mask.ToArray()));
        NpyFile.Write(Path.Combine(folder, "batches.npy"), NpyArray.FromSpan<long>(TensorElementType.Int64, [shapes.Count / 2, 2], shapes.ToArray()));
    }
}
