using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxTransfer.Onnx;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Numerics provenance and <c>verify</c> through the real CLI process on a few hymenoptera images and the shared
/// MobileNetV2: extract records numerics (manifest, <c>cache info</c>), the head carries them, verify passes on CPU and
/// fails with exit 3 against a cache made with other preprocessing, and a cache of other numerics refuses parts (exit
/// 2) until <c>--allow-mixed-numerics</c>.
/// </summary>
[NonParallelizable]
public class VerifyCommandTests
{
    private TempDirectory _temp = null!;
    private string _images = null!;
    private string _cache = null!;
    private string _head = null!;

    [OneTimeSetUp]
    public void ExtractAndTrain()
    {
        _temp = new TempDirectory("cli-verify");
        _images = _temp.File("images");
        SharedData.LinkHymenopteraPhotos(_images, 4, "train/ants", "train/bees", "val/ants", "val/bees");
        _cache = _temp.File("cache");
        var (code, _, stderr) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", _images, "--cache", _cache, "--quiet");
        Assert.That(code, Is.Zero, stderr);
        _head = _temp.File("head.onnx");
        (code, _, stderr) = ExtractCliRunner.Run("train", "--cache", _cache, "--out", _head, "--l2", "1");
        Assert.That(code, Is.Zero, stderr);
    }

    [OneTimeTearDown]
    public void Delete() => _temp.Dispose();

    [Test]
    public void CacheInfoAndTheHeadShowTheNumerics()
    {
        var (code, stdout, stderr) = ExtractCliRunner.Run("cache", "info", _cache, "--json");
        Assert.That(code, Is.Zero, stderr);
        using var info = JsonDocument.Parse(stdout);
        var numerics = info.RootElement.GetProperty("numerics").EnumerateArray().Single();
        Assert.That(numerics.GetProperty("provider").GetString(), Is.EqualTo("CPUExecutionProvider"));
        Assert.That(numerics.GetProperty("precision").GetString(), Is.EqualTo("int8-cpu-kernels"));
        Assert.That(info.RootElement.GetProperty("mixed_numerics").GetBoolean(), Is.False);
        Assert.That(info.RootElement.GetProperty("rows_by_numerics")[0].GetProperty("rows").GetInt32(), Is.EqualTo(16));

        var (textCode, text, _) = ExtractCliRunner.Run("cache", "info", _cache);
        Assert.That(textCode, Is.Zero);
        Assert.That(text, Does.Contain("numerics   CPUExecutionProvider int8-cpu-kernels (quantised graph, onnxruntime "));

        var headNumerics = OnnxModel.Load(_head).GetMetadata("onnxtransfer.cache.numerics");
        Assert.That(headNumerics, Is.Not.Null);
        var entries = JsonNode.Parse(headNumerics!)!.AsArray();
        Assert.That(entries.Select(e => e!["precision"]!.GetValue<string>()), Is.EqualTo(new[] { "int8-cpu-kernels" }));
    }

    [Test]
    public void VerifyPassesOnCpuAgainstACacheMadeOnCpu()
    {
        var (code, stdout, stderr) = ExtractCliRunner.Run("verify", "--cache", _cache, "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", _head,
            "--sample", "8", "--json");
        Assert.That(code, Is.Zero, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.That(root.GetProperty("passed").GetBoolean(), Is.True);
        Assert.That(root.GetProperty("sampled").GetInt32(), Is.EqualTo(8));
        Assert.That(root.GetProperty("compared").GetInt32(), Is.EqualTo(8));
        Assert.That(root.GetProperty("cache_rows").GetInt32(), Is.EqualTo(16));
        Assert.That(root.GetProperty("embeddings").GetProperty("min_cosine").GetDouble(), Is.GreaterThan(0.99999));
        Assert.That(root.GetProperty("embeddings").GetProperty("median_cosine").GetDouble(), Is.GreaterThan(0.99999));
        Assert.That(root.GetProperty("embeddings").GetProperty("max_abs_difference").GetDouble(), Is.LessThan(1e-3));
        Assert.That(root.GetProperty("head").GetProperty("top1_agreement").GetDouble(), Is.EqualTo(1.0));
        Assert.That(root.GetProperty("head").GetProperty("max_probability_difference").GetDouble(), Is.LessThan(1e-4));
        Assert.That(root.GetProperty("thresholds").GetProperty("min_cosine").GetDouble(), Is.EqualTo(0.999));
        Assert.That(root.GetProperty("thresholds").GetProperty("min_top1").GetDouble(), Is.EqualTo(0.999));
        Assert.That(root.GetProperty("numerics").GetProperty("precision").GetString(), Is.EqualTo("int8-cpu-kernels"));
        Assert.That(root.GetProperty("cache_numerics").GetArrayLength(), Is.EqualTo(1));
        Assert.That(root.GetProperty("failed_checks").GetArrayLength(), Is.Zero);
        Assert.That(root.GetProperty("unreadable_inputs").GetArrayLength(), Is.Zero);
        var inputs = root.GetProperty("inputs").EnumerateArray().ToArray();
        Assert.That(inputs, Has.Length.EqualTo(8));
        foreach (var name in new[] { "id", "source", "label", "split", "cosine", "max_abs_difference", "cached_top1", "top1", "max_probability_difference" })
            Assert.That(inputs[0].TryGetProperty(name, out _), Is.True, name);
        Assert.That(inputs.Select(i => i.GetProperty("split").GetString() + "/" + i.GetProperty("label").GetString()).Distinct().Count(), Is.EqualTo(4), "stratified");

        var (textCode, text, _) = ExtractCliRunner.Run("verify", "--cache", _cache, "--backbone", ExtractCliRunner.MobileNetV2Spec, "--sample", "4");
        Assert.That(textCode, Is.Zero);
        Assert.That(text, Does.Contain("verdict    PASS"));
    }

    [Test]
    public void VerifyAFusedModelWithTheHeadItWasComposedFrom()
    {
        var fused = _temp.File("fused.onnx");
        var (code, _, stderr) = ExtractCliRunner.Run("compose", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", _head, "--out", fused);
        Assert.That(code, Is.Zero, stderr);
        var (verify, stdout, log) = ExtractCliRunner.Run("verify", "--cache", _cache, "--model", fused, "--head", _head, "--sample", "6", "--json");
        Assert.That(verify, Is.Zero, log);
        using var json = JsonDocument.Parse(stdout);
        Assert.That(json.RootElement.GetProperty("embeddings").ValueKind, Is.EqualTo(JsonValueKind.Null), "a fused model gives no embeddings");
        Assert.That(json.RootElement.GetProperty("head").GetProperty("top1_agreement").GetDouble(), Is.EqualTo(1.0));
        Assert.That(json.RootElement.GetProperty("compared").GetInt32(), Is.EqualTo(6));

        var (noHead, _, noHeadLog) = ExtractCliRunner.Run("verify", "--cache", _cache, "--model", fused);
        Assert.That(noHead, Is.EqualTo(1));
        Assert.That(noHeadLog, Does.Contain("--model needs --head"));
        // A fused model takes --precision as a backbone does: tf32 is CUDA's; fp16 of an int8 model is refused.
        var (precision, _, precisionLog) = ExtractCliRunner.Run("verify", "--cache", _cache, "--model", fused, "--head", _head, "--precision", "tf32");
        Assert.That(precision, Is.EqualTo(1));
        Assert.That(precisionLog, Does.Contain("tf32 needs a GPU"));
        var (half, _, halfLog) = ExtractCliRunner.Run("verify", "--cache", _cache, "--model", fused, "--head", _head, "--precision", "fp16");
        Assert.That(half, Is.Not.Zero);
        Assert.That(halfLog, Does.Contain("int8-quantised"));
    }

    [Test]
    public void VerifyFailsWithExitCode3AgainstACacheMadeWithOtherPreprocessing()
    {
        // A spec that resizes differently (shorter side 320 before the 224 crop) and normalises with 0.5: another preprocessing.
        var spec = JsonNode.Parse(File.ReadAllText(ExtractCliRunner.MobileNetV2Spec))!.AsObject();
        spec["model"]!["path"] = SharedData.MobileNetV2Int8Model;
        spec["image"]!["resize"] = 320;
        spec["image"]!["mean"] = new JsonArray(0.5, 0.5, 0.5);
        var otherSpec = _temp.File("other.backbone.json");
        File.WriteAllText(otherSpec, spec.ToJsonString());
        var otherCache = _temp.File("cache-other");
        var (code, _, stderr) = ExtractCliRunner.Run("extract", "--backbone", otherSpec, "--images", _images, "--cache", otherCache, "--quiet");
        Assert.That(code, Is.Zero, stderr);

        var (verify, stdout, log) = ExtractCliRunner.Run("verify", "--cache", otherCache, "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", _head, "--json");
        TestContext.Out.WriteLine(log);
        Assert.That(verify, Is.EqualTo(3), log);
        Assert.That(log, Does.Contain("does not reproduce the cache").And.Contain("min cosine"));
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.That(root.GetProperty("passed").GetBoolean(), Is.False);
        var minCosine = root.GetProperty("embeddings").GetProperty("min_cosine").GetDouble();
        TestContext.Out.WriteLine($"other preprocessing: min cosine {minCosine}, max abs {root.GetProperty("embeddings").GetProperty("max_abs_difference").GetDouble()}");
        Assert.That(minCosine, Is.LessThan(0.999).And.GreaterThan(0.0));
        Assert.That(root.GetProperty("embeddings").GetProperty("median_cosine").GetDouble(), Is.LessThan(0.999));
        Assert.That(root.GetProperty("failed_checks")[0].GetString(), Does.StartWith("min cosine"));
        Assert.That(root.GetProperty("notes").EnumerateArray().Select(n => n.GetString()), Has.Some.Contains("fingerprints differ"));

        // A threshold the user lowers below the measured figure passes.
        var (lenient, _, _) = ExtractCliRunner.Run("verify", "--cache", otherCache, "--backbone", ExtractCliRunner.MobileNetV2Spec, "--min-cosine", "0.1", "--min-top1", "0");
        Assert.That(lenient, Is.Zero);
    }

    [Test]
    public void ACacheOfOtherNumericsRefusesPartsUntilTheMixIsAllowed()
    {
        var cache = _temp.File("cache-gpu");
        var (code, _, stderr) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", _images, "--cache", cache, "--quiet", "--limit", "8");
        Assert.That(code, Is.Zero, stderr);
        // Simulate a cache made on a GPU: the manifest says CUDA float.
        var manifestPath = Path.Combine(cache, "_manifest.json");
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["numerics"] = new JsonArray(new JsonObject
        {
            ["provider"] = "CUDAExecutionProvider", ["precision"] = "fp32", ["quantized_graph"] = true, ["runtime"] = "onnxruntime 1.32.0",
        });
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        var parts = Directory.GetFiles(cache, "part-*.parquet").Length;

        var (refused, _, refusal) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", _images, "--cache", cache, "--quiet");
        Assert.That(refused, Is.EqualTo(2), refusal);
        Assert.That(refusal, Does.Contain("CUDAExecutionProvider fp32").And.Contain("CPUExecutionProvider int8-cpu-kernels").And.Contain("--allow-mixed-numerics"));
        Assert.That(Directory.GetFiles(cache, "part-*.parquet"), Has.Length.EqualTo(parts), "refused before any work");

        var (usage, _, usageLog) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", _images, "--cache", cache, "--precision", "tf32");
        Assert.That(usage, Is.EqualTo(1), usageLog);
        Assert.That(usageLog, Does.Contain("tf32 needs a GPU"));

        var (allowed, _, allowedLog) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", _images, "--cache", cache, "--quiet",
            "--allow-mixed-numerics");
        Assert.That(allowed, Is.Zero, allowedLog);
        Assert.That(allowedLog, Does.Contain("\"level\":\"warning\",\"event\":\"mixed-numerics\"").And.Contain("the cache holds embeddings of 2 numerics"));
        var (infoCode, info, _) = ExtractCliRunner.Run("cache", "info", cache, "--json");
        Assert.That(infoCode, Is.Zero);
        using var json = JsonDocument.Parse(info);
        Assert.That(json.RootElement.GetProperty("mixed_numerics").GetBoolean(), Is.True);
        Assert.That(json.RootElement.GetProperty("numerics").EnumerateArray().Select(n => n.GetProperty("provider").GetString()),
            Is.EqualTo(new[] { "CUDAExecutionProvider", "CPUExecutionProvider" }));
        Assert.That(json.RootElement.GetProperty("rows").GetInt32(), Is.EqualTo(16));
    }
}
