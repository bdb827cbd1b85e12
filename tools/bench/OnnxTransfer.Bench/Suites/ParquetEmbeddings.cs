using OnnxTransfer.Parquet;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// The embedding-cache read path: a LIST&lt;FLOAT&gt; column of rows × dim floats read into one contiguous buffer,
/// against <c>File.ReadAllBytes</c> of the same file (the I/O limit) here and DuckDB in peers/duckdb_read.mjs.
/// </summary>
public static class ParquetEmbeddings
{
    /// <summary>
    /// Writes the benchmark files (uncompressed and ZSTD). Rows are real MobileNetV2 features (the shared reference
    /// tensors) with per-row noise, so the value distribution — and therefore compressibility — is that of a real cache.
    /// </summary>
    public static void Write(Arguments options)
    {
        var folder = options.Required("out");
        var rows = options.Int("rows", 100_000);
        var references = Directory.GetFiles(options.Required("features"), "*.features.npy").Order(StringComparer.Ordinal)
            .Select(path => NpyFile.Read(path).AsSpan<float>().ToArray()).ToArray();
        var dim = references[0].Length;
        var embeddings = new float[(long)rows * dim];
        var random = new Random(7);
        for (var row = 0; row < rows; row++)
        {
            var source = references[row % references.Length];
            var target = embeddings.AsSpan(row * dim, dim);
            for (var i = 0; i < dim; i++) target[i] = source[i] * (float)(1 + 0.1 * (random.NextDouble() - 0.5));
        }
        var ids = Enumerable.Range(0, rows).Select(i => $"img/{i:D7}.jpg").ToArray();

        Directory.CreateDirectory(folder);
        foreach (var codec in new[] { ParquetCompressionCodec.Uncompressed, ParquetCompressionCodec.Zstd })
        {
            var path = Path.Combine(folder, $"embeddings-{codec.ToString().ToLowerInvariant()}.parquet");
            var schema = new ParquetSchema(
                ParquetField.String("id", nullable: false),
                ParquetField.List("embedding", ParquetField.Float("element", nullable: false)));
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            using (var writer = new ParquetFileWriter(path, schema, new ParquetWriterOptions { Compression = codec }))
            {
                const int groupRows = 8192;
                for (var first = 0; first < rows; first += groupRows)
                {
                    var count = Math.Min(groupRows, rows - first);
                    var group = writer.BeginRowGroup(count);
                    group.WriteStrings("id", ids.AsSpan(first, count)!);
                    group.WriteFixedSizeList<float>("embedding", embeddings.AsSpan(first * dim, count * dim), dim);
                    group.Complete();
                }
                writer.Complete();
            }
            var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            var rawBytes = (double)rows * dim * sizeof(float);
            var fileBytes = new FileInfo(path).Length;
            var @case = $"{rows} x {dim} {codec.ToString().ToLowerInvariant()}";
            ResultWriter.Write("parquet", @case, "onnxtransfer", "file size / raw float bytes", fileBytes / rawBytes, lowerIsBetter: true);
            ResultWriter.Write("parquet", @case, "onnxtransfer", "write GB/s", rawBytes / seconds / 1e9, lowerIsBetter: false);
        }
    }

    public static void Read(Arguments options)
    {
        var path = options.Required("file");
        var iterations = options.Int("iterations", 5);
        var label = options.Optional("label") ?? Path.GetFileNameWithoutExtension(path);
        var dataset = ParquetDataset.Open(path);
        var rows = dataset.RowCount;
        float[]? buffer = null;
        var dim = 0;

        var read = Measurement.Run(1, iterations, () =>
        {
            long offset = 0;
            foreach (var group in ParquetDataset.Open(path).RowGroups())
            {
                if (buffer is null)
                {
                    var first = group.ReadFixedSizeList<float>("embedding", out dim);
                    buffer = new float[rows * dim];
                    first.CopyTo(buffer.AsSpan());
                    offset = first.Length;
                    continue;
                }
                var span = buffer.AsSpan((int)offset, group.RowCount * dim);
                group.ReadFixedSizeList("embedding", dim, span);
                offset += span.Length;
            }
        });
        var plain = Measurement.Run(1, iterations, () => File.ReadAllBytes(path));
        // ReadAllBytes allocates fresh memory every time, and first touches of fresh pages are slow on some VMs; a
        // read into one reused buffer is the I/O limit without that cost, so both are reported.
        var reused = new byte[new FileInfo(path).Length];
        var plainReused = Measurement.Run(1, iterations, () =>
        {
            using var handle = File.OpenHandle(path);
            var done = 0;
            while (done < reused.Length) done += RandomAccess.Read(handle, reused.AsSpan(done), done);
        });

        var rawBytes = (double)rows * dim * sizeof(float);
        ResultWriter.Write("parquet", label, "onnxtransfer", "rows/s", rows / (read.Median / 1000), lowerIsBetter: false);
        ResultWriter.Write("parquet", label, "onnxtransfer", "GB/s (raw float bytes)", rawBytes / (read.Median / 1000) / 1e9, lowerIsBetter: false);
        ResultWriter.Write("parquet", label, "File.ReadAllBytes", "GB/s (raw float bytes)", rawBytes / (plain.Median / 1000) / 1e9, lowerIsBetter: false);
        ResultWriter.Write("parquet", label, "plain read, reused buffer", "GB/s (raw float bytes)", rawBytes / (plainReused.Median / 1000) / 1e9, lowerIsBetter: false);
    }
}
