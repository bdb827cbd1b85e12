using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;
using OnnxTransfer.Parquet;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Numerics provenance on the shared int8 QDQ MobileNetV2 and a few hymenoptera images: what the CPU run records (in the
/// manifest and in every part), a cache refusing parts of other numerics before any work, the explicit mix, and caches
/// from before numerics were recorded.
/// </summary>
[NonParallelizable]
public class NumericsProvenanceTests
{
    private TempDirectory _folder = null!;
    private string _images = null!;

    [OneTimeSetUp]
    public void LinkImages()
    {
        _folder = new TempDirectory("features-numerics");
        _images = _folder.File("images");
        SharedData.LinkHymenopteraPhotos(_images, 2, "train/ants", "train/bees", "val/ants", "val/bees");
    }

    [OneTimeTearDown]
    public void Remove() => _folder.Dispose();

    [Test]
    public void TheSharedQuantisedModelOnCpuRunsInt8Kernels()
    {
        var numerics = TestBackbones.MobileNetV2.Numerics;
        Assert.That(numerics.Provider, Is.EqualTo("CPUExecutionProvider"));
        Assert.That(numerics.Precision, Is.EqualTo(EmbeddingNumerics.Int8CpuKernels));
        Assert.That(numerics.QuantizedGraph, Is.True);
        Assert.That(numerics.Runtime, Does.Match(@"^onnxruntime \d+\.\d+\.\d+"));
        Assert.That(QuantizedGraph.Detect(OnnxModel.Load(SharedData.MobileNetV2Int8Model)), Is.True);
    }

    [Test]
    public void AFloatGraphOnCpuIsFp32()
    {
        using var folder = new TempDirectory("features-numerics-float");
        var model = SyntheticBackbones.WriteResNetLike(folder);
        Assert.That(QuantizedGraph.Detect(OnnxModel.Load(model)), Is.False);
        using var backbone = ImageBackbone.Load(SyntheticBackbones.Spec(model));
        Assert.That((backbone.Numerics.Provider, backbone.Numerics.Precision, backbone.Numerics.QuantizedGraph),
            Is.EqualTo(("CPUExecutionProvider", "fp32", false)));
    }

    [Test]
    public void DerivationFollowsTheProviderThatActuallyRan()
    {
        var cuda = new BackboneRunOptions { Device = DeviceKind.Cuda, Precision = ComputePrecision.Fp16 };
        // CUDA ran: the requested precision, even for a QDQ graph (CUDA dequantises to float instead of int8 kernels).
        var onGpu = EmbeddingNumerics.Derive(cuda, ["CUDAExecutionProvider", "CPUExecutionProvider"], quantizedGraph: true, "onnxruntime 1.32.0");
        Assert.That((onGpu.Provider, onGpu.Precision), Is.EqualTo(("CUDAExecutionProvider", "fp16")));
        // CUDA was asked for but fell back to CPU: CPU numerics; tf32 is a CUDA mode, so the CPU ran the graph as it is…
        var fellBack = EmbeddingNumerics.Derive(cuda with { Precision = ComputePrecision.Tf32 }, ["CPUExecutionProvider"], quantizedGraph: true, "onnxruntime 1.32.0");
        Assert.That((fellBack.Provider, fellBack.Precision), Is.EqualTo(("CPUExecutionProvider", "int8-cpu-kernels")));
        // …while fp16 is the graph itself (converted to float16), whichever provider runs it.
        var halfOnCpu = EmbeddingNumerics.Derive(cuda, ["CPUExecutionProvider"], quantizedGraph: false, "onnxruntime 1.32.0");
        Assert.That((halfOnCpu.Provider, halfOnCpu.Precision), Is.EqualTo(("CPUExecutionProvider", "fp16")));
        Assert.That(onGpu.SameNumbersAs(fellBack), Is.False);
        // The runtime version is recorded, not compared.
        Assert.That(fellBack.SameNumbersAs(fellBack with { Runtime = "onnxruntime 1.30.0" }), Is.True);
        Assert.That(EmbeddingNumerics.Unknown.SameNumbersAs(EmbeddingNumerics.Unknown), Is.False, "unknown never matches, not even itself");
        Assert.That(EmbeddingNumerics.Parse(onGpu.ToJson()), Is.EqualTo(onGpu));
    }

    [Test]
    public void ReducedPrecisionOnCpuIsRefusedBeforeTheModelLoads()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageBackbone.Load(TestBackbones.MobileNetV2Spec(), new BackboneRunOptions { Precision = ComputePrecision.Tf32 }));
        Assert.That(e!.Message, Does.Contain("tf32").And.Contain("CPU").And.Contain("--device cuda"));
    }

    [Test]
    public void NumericsAreRecordedInTheManifestAndEveryPart()
    {
        var cacheFolder = _folder.File("recorded");
        var summary = Extract.Run(_images, cacheFolder, new ExtractionOptions { RowsPerPart = 3, BatchSize = 4 });
        Assert.That(summary.Embedded, Is.EqualTo(8));
        Assert.That(summary.Numerics, Is.EqualTo(TestBackbones.MobileNetV2.Numerics));

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(cacheFolder, CacheLayout.ManifestFile)))!;
        var recorded = manifest["numerics"]!.AsArray();
        Assert.That(recorded, Has.Count.EqualTo(1));
        Assert.That(recorded[0]!["provider"]!.GetValue<string>(), Is.EqualTo("CPUExecutionProvider"));
        Assert.That(recorded[0]!["precision"]!.GetValue<string>(), Is.EqualTo("int8-cpu-kernels"));
        Assert.That(recorded[0]!["quantized_graph"]!.GetValue<bool>(), Is.True);

        using var cache = EmbeddingCache.Open(cacheFolder);
        Assert.That(cache.PartFiles(), Has.Count.EqualTo(3));
        foreach (var part in cache.PartFiles())
        {
            using var reader = ParquetFileReader.Open(part);
            var json = reader.GetMetadata(MetadataKeys.Numerics);
            Assert.That(json, Is.Not.Null, part);
            Assert.That(EmbeddingNumerics.Parse(json), Is.EqualTo(TestBackbones.MobileNetV2.Numerics), part);
        }
        var info = CacheSummary.Of(cache);
        Assert.That(info.RowsByNumerics.Select(n => (n.Numerics.Precision, n.Rows, n.Parts)), Is.EqualTo(new[] { ("int8-cpu-kernels", 8, 3) }));
    }

    [Test]
    public void ACacheOfOtherNumericsRefusesPartsBeforeAnyWorkUnlessTheMixIsAllowed()
    {
        var cacheFolder = _folder.File("gpu-made");
        Extract.Run(_images, cacheFolder, new ExtractionOptions { Limit = 4 });
        // Simulate a cache made on a GPU: same backbone and fingerprint, CUDA float numerics in the manifest.
        var cudaNumerics = new EmbeddingNumerics("CUDAExecutionProvider", "fp32", true, "onnxruntime 1.32.0");
        RewriteManifestNumerics(cacheFolder, JsonNode.Parse(cudaNumerics.ToJson()));
        var manifestBefore = File.ReadAllText(Path.Combine(cacheFolder, CacheLayout.ManifestFile));
        var partsBefore = Directory.GetFiles(cacheFolder, "part-*.parquet").Length;

        var refused = Assert.Throws<CacheNumericsMismatchException>(() => Extract.Run(_images, cacheFolder));
        Assert.That(refused!.Message, Does.Contain("CUDAExecutionProvider fp32").And.Contain("CPUExecutionProvider int8-cpu-kernels")
            .And.Contain("--allow-mixed-numerics"));
        Assert.That(File.ReadAllText(Path.Combine(cacheFolder, CacheLayout.ManifestFile)), Is.EqualTo(manifestBefore), "nothing written");
        Assert.That(Directory.GetFiles(cacheFolder, "part-*.parquet"), Has.Length.EqualTo(partsBefore));

        // The pipeline refuses too when handed a cache opened for other numerics (a library caller's mistake).
        using (var other = EmbeddingCache.OpenForWriting(_folder.File("lib-other"),
                   ExtractionPipeline.ManifestFor(TestBackbones.MobileNetV2) with { Numerics = [cudaNumerics] }))
        {
            Assert.Throws<CacheNumericsMismatchException>(() => new ExtractionPipeline(TestBackbones.MobileNetV2).Run(InputSet.Open(_images), other));
            Assert.That(other.PartFiles(), Is.Empty);
        }

        using (var cache = EmbeddingCache.OpenForWriting(cacheFolder, ExtractionPipeline.ManifestFor(TestBackbones.MobileNetV2), allowMixedNumerics: true))
        {
            var summary = new ExtractionPipeline(TestBackbones.MobileNetV2).Run(InputSet.Open(_images), cache);
            Assert.That(summary.Embedded, Is.EqualTo(4));
            Assert.That(cache.Manifest.HasMixedNumerics, Is.True);
        }
        var reread = CacheManifest.Read(Path.Combine(cacheFolder, CacheLayout.ManifestFile));
        Assert.That(reread.Numerics.Select(n => (n.Provider, n.Precision)),
            Is.EqualTo(new[] { ("CUDAExecutionProvider", "fp32"), ("CPUExecutionProvider", "int8-cpu-kernels") }));
        using var read = EmbeddingCache.Open(cacheFolder);
        // The old parts were written by this CPU run before the manifest was rewritten: they say CPU; the rows add up.
        Assert.That(CacheSummary.Of(read).RowsByNumerics.Sum(n => n.Rows), Is.EqualTo(8));
    }

    [Test]
    public void ACacheFromBeforeNumericsWereRecordedReadsAsUnknownAndIsNotSilentlyExtended()
    {
        var cacheFolder = _folder.File("old");
        Extract.Run(_images, cacheFolder, new ExtractionOptions { Limit = 4 });
        RewriteManifestNumerics(cacheFolder, null);
        foreach (var part in Directory.GetFiles(cacheFolder, "part-*.parquet")) StripPartNumerics(part);
        // An older OnnxTransfer also wrote no part checksums: the rewritten parts stand without them.
        foreach (var sum in Directory.GetFiles(cacheFolder, "part-*.parquet.sha256")) File.Delete(sum);
        var manifestPath = Path.Combine(cacheFolder, CacheLayout.ManifestFile);
        var old = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        old.Remove("part_checksums");
        File.WriteAllText(manifestPath, old.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var manifest = CacheManifest.Read(Path.Combine(cacheFolder, CacheLayout.ManifestFile));
        Assert.That(manifest.Numerics, Is.EqualTo(new[] { EmbeddingNumerics.Unknown }));
        using (var cache = EmbeddingCache.Open(cacheFolder))
            Assert.That(CacheSummary.Of(cache).RowsByNumerics.Single().Numerics.IsUnknown, Is.True);

        var refused = Assert.Throws<CacheNumericsMismatchException>(() => Extract.Run(_images, cacheFolder));
        Assert.That(refused!.Message, Does.Contain("unknown (written before OnnxTransfer recorded numerics)"));
    }

    /// <summary>Replaces (or with null removes) the manifest's "numerics" array, keeping everything else.</summary>
    private static void RewriteManifestNumerics(string cacheFolder, JsonNode? entry)
    {
        var path = Path.Combine(cacheFolder, CacheLayout.ManifestFile);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        if (entry is null) manifest.Remove("numerics");
        else manifest["numerics"] = new JsonArray(entry);
        File.WriteAllText(path, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Rewrites a part without its onnxtransfer.numerics key, as an older OnnxTransfer wrote it.</summary>
    private static void StripPartNumerics(string part)
    {
        using var cache = EmbeddingCache.Open(Path.GetDirectoryName(part)!);
        var rows = cache.ReadEmbeddings(cache.ReadRows().Select(r => r.Id).ToHashSet());
        List<KeyValuePair<string, string>> metadata;
        using (var reader = ParquetFileReader.Open(part))
            metadata = reader.KeyValueMetadata.Where(kv => kv.Key != MetadataKeys.Numerics).Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value ?? "")).ToList();
        var ids = new HashSet<string>();
        using (var reader = ParquetFileReader.Open(part))
            for (var g = 0; g < reader.RowGroupCount; g++)
                foreach (var id in reader.OpenRowGroup(g).ReadStrings(CacheLayout.IdColumn)) ids.Add(id!);
        var index = Enumerable.Range(0, rows.Count).Where(i => ids.Contains(rows.Ids[i])).ToArray();
        var temporary = part + ".rewrite";
        using (var writer = new ParquetFileWriter(temporary, CacheLayout.EmbeddingSchema, new ParquetWriterOptions(), metadata))
        {
            var group = writer.BeginRowGroup(index.Length);
            group.WriteStrings(CacheLayout.IdColumn, index.Select(i => (string?)rows.Ids[i]).ToArray());
            group.WriteStrings(CacheLayout.SourceColumn, index.Select(i => (string?)rows.Sources[i]).ToArray());
            group.WriteStrings(CacheLayout.LabelColumn, index.Select(i => rows.Labels[i]).ToArray());
            group.WriteStrings(CacheLayout.SplitColumn, index.Select(i => rows.Splits[i]).ToArray());
            group.WriteFixedSizeList<float>(CacheLayout.EmbeddingColumn, index.SelectMany(i => rows.Row(i).ToArray()).ToArray(), rows.Dimension);
            group.Complete();
            writer.Complete();
        }
        File.Move(temporary, part, overwrite: true);
    }
}
