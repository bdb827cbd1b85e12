using Microsoft.ML.OnnxRuntime;
using System.Security.Cryptography;
using System.Text;
using OnnxTransfer.Imaging;
using OnnxTransfer.Onnx;
using OnnxTransfer.Parquet;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.TestCaches;

/// <summary>
/// A real embedding cache for tests, built once per test run: the shared hymenoptera images (train and val, ants and
/// bees) decoded and preprocessed as torchvision does (Imaging), run through the shared MobileNetV2 cut at its 1280-d
/// pooled feature tensor (Runtime), and written as cache-shaped Parquet parts (docs/formats.md: id, source, label,
/// split, embedding LIST&lt;FLOAT&gt;, fingerprint metadata; parts of at most 128 rows, one row group per 32-row batch;
/// an <c>_errors/</c> part for images that cannot be decoded). Rows are in id order, so each row group holds one split
/// and one class, as an extractor walking an ImageFolder writes them. The extractor in OnnxTransfer.Features writes the
/// same format; this builder keeps the trainer's tests independent of it.
/// </summary>
/// <remarks>Shared by the Training, Inference and CLI test projects (linked source file).</remarks>
internal static class HymenopteraCache
{
    public const int Dimension = 1280;
    public const int RowGroupRows = 32;
    public const int PartRows = 128;

    private static readonly Lazy<Built> Instance = new(() => Build(mirror: false), LazyThreadSafetyMode.ExecutionAndPublication);

    // The same images mirrored left-right, for tests of caches with views (extract --views hflip).
    private static readonly Lazy<Built> Mirrored = new(() => Build(mirror: true), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The cache folder (created on first use, deleted by <see cref="Delete"/>).</summary>
    public static string Directory => Instance.Value.Directory;

    /// <summary>Every embedded row, in cache order.</summary>
    public static IReadOnlyList<CacheRow> Rows => Instance.Value.Rows;

    /// <summary>
    /// Every embedded row of the images mirrored left-right (each preprocessed tensor's width reversed before the
    /// model), in cache order: the hflip view of each row of <see cref="Rows"/>.
    /// </summary>
    public static IReadOnlyList<CacheRow> MirroredRows => Mirrored.Value.Rows;

    /// <summary>Inputs that could not be embedded (id, reason).</summary>
    public static IReadOnlyList<(string Id, string Reason)> Errors => Instance.Value.Errors;

    public static string Fingerprint => Instance.Value.Fingerprint;

    public static string FingerprintSha256 => Instance.Value.FingerprintSha256;

    /// <summary>Seconds the extraction took (decode, preprocess, model).</summary>
    public static double BuildSeconds => Instance.Value.Seconds;

    public static void Delete()
    {
        foreach (var built in new[] { Instance, Mirrored }.Where(b => b.IsValueCreated))
        {
            try { System.IO.Directory.Delete(built.Value.Directory, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary>
    /// Writes <paramref name="rows"/> as cache parts into <paramref name="directory"/> (for variants of the cache:
    /// other fingerprints, dimensions, corrupt rows). Metadata keys are written only when given. <paramref name="views"/>:
    /// each row's view id, written as the INT32 <c>view</c> column of a cache extracted with views.
    /// </summary>
    public static void WriteParts(string directory, IReadOnlyList<CacheRow> rows, string? fingerprint, int partRows = PartRows,
        int rowGroupRows = RowGroupRows, string prefix = "part", bool withSplit = true, bool withLabel = true, IReadOnlyList<int>? views = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var fields = new List<ParquetField> { ParquetField.String("id", nullable: false), ParquetField.String("source", nullable: false) };
        if (views is not null) fields.Insert(1, ParquetField.Int32("view", nullable: false));
        if (withLabel) fields.Add(ParquetField.String("label"));
        if (withSplit) fields.Add(ParquetField.String("split"));
        fields.Add(ParquetField.List("embedding", ParquetField.Float("element", nullable: false), nullable: false));
        var schema = new ParquetSchema(fields);
        int part = 0;
        for (int start = 0; start < rows.Count; start += partRows, part++)
        {
            var metadata = new List<KeyValuePair<string, string>> { new("onnxtransfer.format", "embedding-cache/1") };
            if (fingerprint is not null)
            {
                metadata.Add(new("onnxtransfer.fingerprint", fingerprint));
                metadata.Add(new("onnxtransfer.fingerprint.sha256", Sha256(fingerprint)));
            }
            var path = Path.Combine(directory, $"{prefix}-{part:D5}.parquet");
            using var writer = new ParquetFileWriter(path, schema, new ParquetWriterOptions { Compression = ParquetCompressionCodec.Snappy }, metadata);
            int end = Math.Min(rows.Count, start + partRows);
            for (int group = start; group < end; group += rowGroupRows)
            {
                var slice = rows.Skip(group).Take(Math.Min(rowGroupRows, end - group)).ToArray();
                var rowGroup = writer.BeginRowGroup(slice.Length);
                rowGroup.WriteStrings("id", slice.Select(r => (string?)r.Id).ToArray());
                if (views is not null) rowGroup.WriteValues<int>("view", views.Skip(group).Take(slice.Length).ToArray());
                rowGroup.WriteStrings("source", slice.Select(r => (string?)r.Source).ToArray());
                if (withLabel) rowGroup.WriteStrings("label", slice.Select(r => r.Label).ToArray());
                if (withSplit) rowGroup.WriteStrings("split", slice.Select(r => r.Split).ToArray());
                var values = new float[slice.Length * slice[0].Embedding.Length];
                for (int i = 0; i < slice.Length; i++) slice[i].Embedding.CopyTo(values, i * slice[i].Embedding.Length);
                rowGroup.WriteFixedSizeList<float>("embedding", values, slice[0].Embedding.Length);
                rowGroup.Complete();
            }
            writer.Complete();
        }
    }

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static Built Build(bool mirror)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var root = SharedData.Hymenoptera;
        var files = System.IO.Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Where(id => id.Count(c => c == '/') == 2)
            .Order(StringComparer.Ordinal)
            .ToArray();

        var model = OnnxModel.Load(SharedData.MobileNetV2Int8Model);
        model.CutAt(SharedData.MobileNetV2FeatureTensor);
        using var session = new InferenceSession(model.ToBytes(), new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount });
        var decoder = new ImageDecoder();
        var preprocessor = new ImagePreprocessor(PreprocessSettings.ImageNet);
        int tensorLength = preprocessor.TensorLength;

        var rows = new List<CacheRow>(files.Length);
        var errors = new List<(string, string)>();
        const int batch = 32;
        var input = new float[batch * tensorLength];
        for (int start = 0; start < files.Length; start += batch)
        {
            var chunk = files.AsSpan(start, Math.Min(batch, files.Length - start)).ToArray();
            var ok = new bool[chunk.Length];
            var reasons = new string?[chunk.Length];
            Parallel.For(0, chunk.Length, i =>
            {
                try
                {
                    using var image = decoder.Decode(Path.Combine(root, chunk[i]), preprocessor);
                    preprocessor.Process(image, input.AsSpan(i * tensorLength, tensorLength));
                    if (mirror) MirrorWidth(input.AsSpan(i * tensorLength, tensorLength));
                    ok[i] = true;
                }
                catch (ImageDecodeException e)
                {
                    reasons[i] = e.ReasonCode;
                }
            });
            // Compact the decoded images to the front of the batch.
            int n = 0;
            for (int i = 0; i < chunk.Length; i++)
            {
                if (!ok[i])
                {
                    errors.Add((chunk[i], reasons[i]!));
                    continue;
                }
                if (n != i) input.AsSpan(i * tensorLength, tensorLength).CopyTo(input.AsSpan(n * tensorLength, tensorLength));
                n++;
            }
            if (n == 0) continue;
            using var tensor = OrtTestRuns.Tensor(input.AsMemory(0, n * tensorLength), [n, 3, 224, 224]);
            using var result = session.RunNamed("input", tensor);
            var features = result[0].GetTensorData<float>();
            int row = 0;
            for (int i = 0; i < chunk.Length; i++)
            {
                if (!ok[i]) continue;
                var parts = chunk[i].Split('/');
                rows.Add(new CacheRow(chunk[i], Path.Combine(root, chunk[i]), parts[1], parts[0],
                    features.Slice(row * Dimension, Dimension).ToArray()));
                row++;
            }
        }

        var fingerprint = "{\"dim\":1280,\"dtype\":\"float32\",\"feature_tensor\":\"/Flatten_output_0\",\"l2_normalize\":false," +
                          $"\"model_sha256\":\"{SharedData.MobileNetV2Sha256}\",\"pooling\":\"none\"," +
                          "\"preprocessing\":\"resize-shorter-center-crop/256/224/bilinear/imagenet\",\"test_builder\":1}";
        var directory = Path.Combine(Path.GetTempPath(), $"onnxtransfer-hymenoptera-cache-{Guid.NewGuid():N}");
        WriteParts(directory, rows, fingerprint);
        if (errors.Count > 0) WriteErrors(Path.Combine(directory, "_errors"), errors, fingerprint);
        return new Built(directory, rows, errors, fingerprint, Sha256(fingerprint), stopwatch.Elapsed.TotalSeconds);
    }

    /// <summary>[c, y, x] ← [c, y, 223 − x] of one 3×224×224 tensor.</summary>
    private static void MirrorWidth(Span<float> tensor)
    {
        for (int row = 0; row < 3 * 224; row++) tensor.Slice(row * 224, 224).Reverse();
    }

    private static void WriteErrors(string directory, List<(string Id, string Reason)> errors, string fingerprint)
    {
        System.IO.Directory.CreateDirectory(directory);
        var schema = new ParquetSchema(
            ParquetField.String("id", nullable: false), ParquetField.String("source", nullable: false),
            ParquetField.String("label"), ParquetField.String("split"),
            ParquetField.String("reason", nullable: false), ParquetField.String("message", nullable: false));
        using var writer = new ParquetFileWriter(Path.Combine(directory, "part-00000.parquet"), schema, null,
            [new("onnxtransfer.format", "embedding-cache/1"), new("onnxtransfer.fingerprint", fingerprint)]);
        var group = writer.BeginRowGroup(errors.Count);
        group.WriteStrings("id", errors.Select(e => (string?)e.Id).ToArray());
        group.WriteStrings("source", errors.Select(e => (string?)e.Id).ToArray());
        group.WriteStrings("label", errors.Select(e => (string?)e.Id.Split('/')[1]).ToArray());
        group.WriteStrings("split", errors.Select(e => (string?)e.Id.Split('/')[0]).ToArray());
        group.WriteStrings("reason", errors.Select(e => (string?)e.Reason).ToArray());
        group.WriteStrings("message", errors.Select(e => (string?)("could not decode: " + e.Reason)).ToArray());
        group.Complete();
        writer.Complete();
    }

    private sealed record Built(string Directory, IReadOnlyList<CacheRow> Rows, IReadOnlyList<(string, string)> Errors,
        string Fingerprint, string FingerprintSha256, double Seconds);
}

/// <summary>One row of a test cache.</summary>
internal sealed record CacheRow(string Id, string Source, string? Label, string? Split, float[] Embedding);
