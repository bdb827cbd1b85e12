using System.Text;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Parquet;
using OnnxTransfer.TestSupport;
using OnnxTransfer.TestSupport.Models;
using OnnxTransfer.Text.Input;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Text extraction with the test BERT: SST-2 lines into a cache DuckDB reads, embeddings equal to embedding each text
/// alone, length-bucketed batches that waste little padding, bad rows as error rows, and resumption (limit, cancel)
/// ending with the bytes of one uninterrupted run.
/// </summary>
[NonParallelizable]
public class TextExtractionTests
{
    private const int Lines = 600;
    private TempDirectory _folder = null!;
    private string _sst2 = null!;
    private string _cache = null!;
    private ExtractionSummary _summary = null!;

    [OneTimeSetUp]
    public void ExtractOnce()
    {
        _folder = new TempDirectory("features-text");
        _sst2 = TextTestModels.Sst2Subset(_folder, Lines);
        _cache = _folder.File("cache");
        _summary = Run(_sst2, _cache, new ExtractionOptions { BatchSize = 16, RowsPerPart = 256, RowsPerRowGroup = 64 });
        TestContext.Out.WriteLine(_summary);
    }

    [OneTimeTearDown]
    public void Remove() => _folder.Dispose();

    private static ExtractionSummary Run(string texts, string cacheFolder, ExtractionOptions? options = null, TextBackbone? backbone = null,
        TextInputOptions? input = null, IProgress<ExtractionProgress>? progress = null, CancellationToken token = default)
    {
        backbone ??= TextTestModels.Tiny;
        using var cache = EmbeddingCache.OpenForWriting(cacheFolder, ExtractionPipeline.ManifestFor(backbone));
        return new ExtractionPipeline(backbone, options).Run(TextInputFiles.Open(texts, input ?? new TextInputOptions { LabelPrefix = true }), cache, progress, token);
    }

    [Test]
    public void Sst2LinesAreEmbeddedWithLabelsAndReadBackByDuckDb()
    {
        Assert.That((_summary.Inputs, _summary.Embedded, _summary.Failed, _summary.Truncated), Is.EqualTo((Lines, Lines, 0, 0)));
        Assert.That(_summary.PartsWritten, Is.EqualTo(3));
        var rows = Extract.Read(_cache);
        Assert.That(rows.Dimension, Is.EqualTo(TestBertConfig.Tiny.HiddenSize));
        Assert.That(rows.Ids, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal), "rows are written in id order");
        var lines = File.ReadAllLines(_sst2);
        var index = rows.IndexById();
        for (var line = 1; line <= Lines; line++)
        {
            var i = index[line.ToString()];
            Assert.That(rows.Labels[i], Is.EqualTo(lines[line - 1][..1]));
            Assert.That(rows.Sources[i], Is.EqualTo($"{_sst2}:{line}"));
            Assert.That(rows.Splits[i], Is.Null);
        }

        var glob = DuckDb.Literal(Path.Combine(_cache, "*.parquet"));
        var counts = DuckDb.Query($"SELECT label, count(*) AS n, min(len(embedding)) AS lo, max(len(embedding)) AS hi FROM read_parquet({glob}) GROUP BY ALL ORDER BY ALL");
        var expected = lines.GroupBy(l => l[..1]).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, (long)g.Count())).ToArray();
        Assert.That(counts.Select(r => (r!["label"]!.GetValue<string>(), DuckDb.Long(r["n"]))).ToArray(), Is.EqualTo(expected));
        Assert.That(counts.All(r => DuckDb.Long(r!["lo"]) == 64 && DuckDb.Long(r["hi"]) == 64), Is.True);
    }

    [Test]
    public void EmbeddingsEqualEmbeddingEachTextAloneAndTheReferenceModel()
    {
        var rows = Extract.Read(_cache);
        var index = rows.IndexById();
        var lines = File.ReadAllLines(_sst2);
        var sample = new[] { 1, 2, 77, 300, 599 };
        var texts = sample.Select(l => lines[l - 1][2..]).ToArray();
        var alone = new float[texts.Length * rows.Dimension];
        for (var s = 0; s < texts.Length; s++) TextTestModels.Tiny.Embed([texts[s]]).CopyTo(alone, s * rows.Dimension);
        var reference = TextBackboneTests.Expected(TestBertConfig.Tiny, Specs.TextPooling.Mean, true, texts);
        var worstAlone = 0.0;
        var cached = new float[alone.Length];
        for (var s = 0; s < sample.Length; s++) rows.Row(index[sample[s].ToString()]).CopyTo(cached.AsSpan(s * rows.Dimension));
        for (var i = 0; i < alone.Length; i++) worstAlone = Math.Max(worstAlone, Math.Abs(alone[i] - cached[i]));
        var worstReference = TextBackboneTests.MaxDifference(cached, reference);
        TestContext.Out.WriteLine($"cache vs alone {worstAlone:E2}, cache vs managed reference {worstReference:E2}");
        Assert.That(worstAlone, Is.LessThan(1e-5), "padding in a batch changes nothing but rounding");
        Assert.That(worstReference, Is.LessThan(2e-5));
    }

    [Test]
    public void ResumingAfterALimitOrACancelGivesTheBytesOfOneRun()
    {
        var reference = Extract.BytesById(Extract.Read(_cache));
        var options = new ExtractionOptions { BatchSize = 16, RowsPerPart = 256, RowsPerRowGroup = 64 };

        var limited = _folder.File("limited");
        var first = Run(_sst2, limited, options with { Limit = 150 });
        Assert.That((first.Embedded, first.Deferred), Is.EqualTo((150, Lines - 150)));
        var second = Run(_sst2, limited, options);
        Assert.That((second.AlreadyCached, second.Embedded), Is.EqualTo((150, Lines - 150)));
        Assert.That(Extract.BytesById(Extract.Read(limited)), Is.EqualTo(reference), "the limited run and its continuation equal one run");

        var cancelled = _folder.File("cancelled");
        using (var source = new CancellationTokenSource())
        {
            var progress = new CancelAt(source, 200);
            Assert.Throws<OperationCanceledException>(() => Run(_sst2, cancelled, options, progress: progress, token: source.Token));
        }
        var kept = Extract.Read(cancelled);
        TestContext.Out.WriteLine($"cancelled after 200 rows: {kept.Count} rows committed");
        Assert.That(kept.Count, Is.GreaterThanOrEqualTo(200), "the rows finished before the stop are committed");
        var rest = Run(_sst2, cancelled, options);
        Assert.That(rest.AlreadyCached + rest.Embedded, Is.EqualTo(Lines));
        Assert.That(Extract.BytesById(Extract.Read(cancelled)), Is.EqualTo(reference), "the cancelled run and its continuation equal one run");
    }

    [Test]
    public void ThreadCountDoesNotChangeTheParts()
    {
        var one = _folder.File("one-thread");
        var three = _folder.File("three-threads");
        Run(_sst2, one, new ExtractionOptions { BatchSize = 16, RowsPerPart = 256, DecodeThreads = 1 });
        Run(_sst2, three, new ExtractionOptions { BatchSize = 16, RowsPerPart = 256, DecodeThreads = 3 });
        foreach (var part in Directory.GetFiles(one, "*.parquet"))
            Assert.That(File.ReadAllBytes(Path.Combine(three, Path.GetFileName(part))), Is.EqualTo(File.ReadAllBytes(part)), Path.GetFileName(part));
    }

    [Test]
    public void LengthBucketingKeepsPaddingSmall()
    {
        // Mean token count over SST-2 lines against what windows of 16 batches pad to.
        var backbone = TextTestModels.Tiny;
        var lengths = File.ReadLines(_sst2).Select(l => backbone.Encode(l[2..]).Encoding!.Length).ToArray();
        long padded = 0, naive = 0;
        const int batch = 16, window = 16 * batch;
        for (var w = 0; w < lengths.Length; w += window)
        {
            var slice = lengths.Skip(w).Take(window).ToArray();
            foreach (var rows in new Text.Encoder.LengthBucketingBatcher(batch).Plan(slice)) padded += (long)rows.Length * rows.Max(r => slice[r]);
            for (var b = 0; b < slice.Length; b += batch) naive += (long)Math.Min(batch, slice.Length - b) * slice.Skip(b).Take(batch).Max();
        }
        var real = lengths.Sum();
        TestContext.Out.WriteLine($"tokens {real}, padded with buckets {padded} (+{100.0 * (padded - real) / real:F1}%), in file order {naive} (+{100.0 * (naive - real) / real:F1}%)");
        Assert.That(padded, Is.LessThan(real * 1.15), "bucketed batches pad less than 15%");
        Assert.That(padded - real, Is.LessThan((naive - real) / 5), "a fifth of the padding batches in file order need, or less");
    }

    [Test]
    public void BadRowsBecomeErrorRowsAndLongTextsAreTruncatedOrRefused()
    {
        var path = _folder.File("bad.txt");
        var bytes = new List<byte>();
        void Line(string text) => bytes.AddRange(Encoding.UTF8.GetBytes(text + "\n"));
        Line("1 a fine film");
        Line("");
        bytes.AddRange(Encoding.UTF8.GetBytes("0 caf"));
        bytes.AddRange([0xC3, 0x28]);
        Line("");
        Line("nolabel");
        Line("1 " + string.Join(' ', Enumerable.Repeat("splendid", 30)));
        Line("0 dull");
        File.WriteAllBytes(path, [.. bytes]);

        using var truncating = TextBackbone.Load(TextTestModels.Spec(maxLength: 16));
        var summary = Run(path, _folder.File("bad-truncate"), backbone: truncating);
        Assert.That((summary.Embedded, summary.Failed, summary.Truncated), Is.EqualTo((3, 3, 1)));
        Assert.That(summary.ErrorsByReason, Is.EqualTo(new Dictionary<string, int> { ["bad-record"] = 1, ["empty-text"] = 1, ["invalid-utf8"] = 1 }));
        var errors = Extract.Errors(_folder.File("bad-truncate")).OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
        Assert.That(errors.Select(e => (e.Id, e.Source, e.Reason)), Is.EqualTo(new[]
        {
            ("2", $"{path}:2", "empty-text"), ("3", $"{path}:3", "invalid-utf8"), ("4", $"{path}:4", "bad-record"),
        }));
        Assert.That(errors[1].Message, Does.Contain("bad.txt:3").And.Contain("invalid UTF-8"));

        using var refusing = TextBackbone.Load(TextTestModels.Spec(maxLength: 16), overLength: Text.Encoder.OverLengthPolicy.Refuse);
        var refused = Run(path, _folder.File("bad-refuse"), backbone: refusing);
        Assert.That((refused.Embedded, refused.Failed, refused.Truncated), Is.EqualTo((2, 4, 0)));
        var tooLong = Extract.Errors(_folder.File("bad-refuse")).Single(e => e.Reason == "too-many-tokens");
        Assert.That((tooLong.Id, tooLong.Label), Is.EqualTo(("5", "1")));
        Assert.That(tooLong.Message, Does.Contain("32 tokens").And.Contain("maximum of 16"));
    }

    [Test]
    public void CsvJsonlAndParquetInputsKeepTheirIdsLabelsAndSplits()
    {
        var csv = _folder.File("texts.csv");
        File.WriteAllText(csv, "id,text,label,split\nr1,\"a moving, \"\"quiet\"\" film\",pos,train\nr2,\"dull\nand long\",neg,val\nr3,,pos,train\n");
        var jsonl = _folder.File("texts.jsonl");
        File.WriteAllText(jsonl, "{\"id\":\"r1\",\"text\":\"a moving, \\\"quiet\\\" film\",\"label\":\"pos\",\"split\":\"train\"}\n" +
                                 "{\"id\":\"r2\",\"text\":\"dull\\nand long\",\"label\":\"neg\",\"split\":\"val\"}\nnot json\n");
        var parquet = _folder.File("texts.parquet");
        using (var writer = new ParquetFileWriter(parquet, new ParquetSchema(ParquetField.String("id"), ParquetField.String("text"),
                   ParquetField.String("label"), ParquetField.String("split"))))
        {
            var group = writer.BeginRowGroup(3);
            group.WriteStrings("id", ["r1", "r2", null]);
            group.WriteStrings("text", ["a moving, \"quiet\" film", "dull\nand long", "  "]);
            group.WriteStrings("label", ["pos", "neg", "pos"]);
            group.WriteStrings("split", ["train", "val", "train"]);
            group.Complete();
            writer.Complete();
        }

        Dictionary<string, byte[]>? first = null;
        foreach (var (file, failedId, reason) in new[] { (csv, "r3", "empty-text"), (jsonl, "3", "bad-record"), (parquet, "3", "empty-text") })
        {
            var cache = _folder.File("cache-" + Path.GetExtension(file)[1..]);
            var summary = Run(file, cache, input: new TextInputOptions());
            Assert.That((summary.Embedded, summary.Failed), Is.EqualTo((2, 1)), file);
            var rows = Extract.Read(cache);
            Assert.That(rows.Ids, Is.EqualTo(new[] { "r1", "r2" }), file);
            Assert.That(rows.Labels, Is.EqualTo(new[] { "pos", "neg" }), file);
            Assert.That(rows.Splits, Is.EqualTo(new[] { "train", "val" }), file);
            Assert.That(Extract.Errors(cache).Select(e => (e.Id, e.Reason)), Is.EqualTo(new[] { (failedId, reason) }), file);
            var bytes = Extract.BytesById(rows);
            if (first is null) first = bytes;
            else Assert.That(bytes, Is.EqualTo(first), $"{file}: the same texts give the same embeddings");
        }

        var duplicate = _folder.File("duplicate.jsonl");
        File.WriteAllText(duplicate, "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"a\",\"text\":\"y\"}\n");
        Assert.That(() => TextInputFiles.Open(duplicate), Throws.TypeOf<InputSourceException>().With.Message.Contains("'a'"));
        Assert.That(() => TextInputFiles.Open(_folder.File("missing.txt")), Throws.TypeOf<InputSourceException>().With.Message.Contains("does not exist"));
        Assert.That(() => TextInputFiles.Open(_folder.File("texts.xml").Also(p => File.WriteAllText(p, "<x/>"))),
            Throws.TypeOf<InputSourceException>().With.Message.Contains(".txt, .csv, .tsv or .jsonl"));
    }

    [Test]
    public void ImagesAndTextsAreNotMixedUp()
    {
        using var folder = new TempDirectory("features-text-mixup");
        using (var cache = EmbeddingCache.OpenForWriting(folder.File("t"), ExtractionPipeline.ManifestFor(TextTestModels.Tiny)))
            Assert.That(() => new ExtractionPipeline(TextTestModels.Tiny).Run(InputSet.Open(Path.Combine(SharedData.Hymenoptera, "val")), cache),
                Throws.ArgumentException.With.Message.Contains("TextInputFiles.Open"));
        using (var cache = EmbeddingCache.OpenForWriting(folder.File("i"), ExtractionPipeline.ManifestFor(TestBackbones.MobileNetV2)))
            Assert.That(() => new ExtractionPipeline(TestBackbones.MobileNetV2).Run(TextInputFiles.Open(_sst2), cache),
                Throws.ArgumentException.With.Message.Contains("holds texts"));
    }

    /// <summary>Cancels the run once <paramref name="rows"/> rows are embedded (reported synchronously by the inference thread).</summary>
    private sealed class CancelAt(CancellationTokenSource source, int rows) : IProgress<ExtractionProgress>
    {
        public void Report(ExtractionProgress value)
        {
            if (value.Embedded >= rows) source.Cancel();
        }
    }
}

internal static class ObjectExtensions
{
    public static string Also(this string value, Action<string> action)
    {
        action(value);
        return value;
    }
}
