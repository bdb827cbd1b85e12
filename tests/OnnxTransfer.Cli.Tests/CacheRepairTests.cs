using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Issue 15, defect 7: a damaged <c>_manifest.json</c> said "extract into a new folder" although every part records
/// what the manifest holds. <c>cache repair --cache DIR</c> rebuilds it from the parts (checked first) and what is
/// left of the damaged file; on a real cache of the shared model, each damage is repaired to the original's fields and
/// <c>train</c> and <c>cache verify</c> work again. Parts of two caches, or none, are refused with nothing written.
/// </summary>
[NonParallelizable]
public class CacheRepairTests
{
    private TempDirectory _folder = null!;
    private string _images = null!;
    private string _cache = null!;
    private string _original = null!;

    [OneTimeSetUp]
    public void ExtractASubset()
    {
        _folder = new TempDirectory("cli-cache-repair");
        _images = _folder.File("images");
        HymenopteraSubset.CopyTo(_images, 5);
        _cache = _folder.File("cache");
        var run = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", _images, "--cache", _cache,
            "--rows-per-part", "8", "--quiet");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        _original = File.ReadAllText(Path.Combine(_cache, "_manifest.json"));
    }

    [OneTimeTearDown]
    public void Remove() => _folder.Dispose();

    [Test]
    public void ADamagedManifestNamesCacheRepairAsTheFix()
    {
        using var copy = CopyOfCache("repair-message");
        var manifest = Path.Combine(copy.Path, "_manifest.json");
        File.WriteAllText(manifest, _original[..(_original.Length / 2)]);
        foreach (var command in new[] { new[] { "cache", "info", copy.Path }, new[] { "train", "--cache", copy.Path, "--out", copy.File("head.onnx") } })
        {
            var (code, _, stderr) = ExtractCliRunner.Run(command);
            Assert.That(code, Is.EqualTo(2), stderr);
            Assert.That(stderr, Does.Contain($"onnxtransfer cache repair --cache {copy.Path}").And.Not.Contain("Extract into a new folder"), string.Join(' ', command));
        }
        File.Delete(manifest);
        var missing = ExtractCliRunner.Run("cache", "info", copy.Path);
        Assert.That(missing.ExitCode, Is.EqualTo(2));
        Assert.That(missing.Stderr, Does.Contain("has cache parts but no _manifest.json").And.Contain("cache repair --cache"));
    }

    /// <summary>Cut just inside its last field, its fingerprint removed, deleted: each repaired, then train and verify work.</summary>
    [TestCase("truncated")]
    [TestCase("fingerprint-removed")]
    [TestCase("deleted")]
    public void RepairRebuildsTheManifestAndTheCacheWorksAgain(string damage)
    {
        using var copy = CopyOfCache("repair-" + damage);
        var manifest = Path.Combine(copy.Path, "_manifest.json");
        switch (damage)
        {
            case "truncated":
                File.WriteAllText(manifest, _original[..(_original.IndexOf("\"part_checksums\"", StringComparison.Ordinal) + 8)]);
                break;
            case "fingerprint-removed":
                var node = JsonNode.Parse(_original)!.AsObject();
                Assert.That(node.Remove("fingerprint"));
                File.WriteAllText(manifest, node.ToJsonString());
                break;
            default:
                File.Delete(manifest);
                break;
        }
        Assert.That(ExtractCliRunner.Run("cache", "verify", copy.Path).ExitCode, Is.EqualTo(2), "the damage is real");

        var (code, stdout, stderr) = ExtractCliRunner.Run("cache", "repair", "--cache", copy.Path, "--json");
        Assert.That(code, Is.Zero, stdout + stderr);
        using var report = JsonDocument.Parse(stdout);
        var unrecovered = report.RootElement.GetProperty("unrecovered").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.That(report.RootElement.GetProperty("repaired").GetBoolean());
        Assert.That(report.RootElement.GetProperty("parts_checked").GetInt32(), Is.EqualTo(3));
        Assert.That(report.RootElement.GetProperty("completion").GetProperty("complete").GetBoolean(), Is.True,
            "the _SUCCESS marker of the finished extraction still says so");

        var original = Fields(_original);
        var repaired = Fields(File.ReadAllText(manifest));
        // Deleted, nothing records when the cache was made or which file the model was: left out, not guessed.
        string[] lost = damage == "deleted" ? ["backbone.model_path", "created_at"] : [];
        Assert.That(unrecovered, Is.EquivalentTo(lost));
        Assert.That(repaired.Keys, Is.EquivalentTo(original.Keys.Except(lost)));
        foreach (var (field, value) in repaired) Assert.That(value, Is.EqualTo(original[field]), field);

        var (verify, verifyOut, verifyLog) = ExtractCliRunner.Run("cache", "verify", copy.Path);
        Assert.That(verify, Is.Zero, verifyOut + verifyLog);
        var (train, trainOut, trainLog) = ExtractCliRunner.Run("train", "--cache", copy.Path, "--out", copy.File("head.onnx"), "--require-complete");
        Assert.That(train, Is.Zero, trainOut + trainLog);
        Assert.That(File.Exists(copy.File("head.onnx")));
    }

    [Test]
    public void WithoutCompletionMarkersTheRepairedCacheReadsAsUnfinished()
    {
        using var copy = CopyOfCache("repair-no-markers");
        File.Delete(Path.Combine(copy.Path, "_manifest.json"));
        File.Delete(Path.Combine(copy.Path, "_SUCCESS"));
        var (code, stdout, stderr) = ExtractCliRunner.Run("cache", "repair", "--cache", copy.Path);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("completion incomplete"));
        var train = ExtractCliRunner.Run("train", "--cache", copy.Path, "--out", copy.File("head.onnx"), "--require-complete");
        Assert.That(train.ExitCode, Is.EqualTo(2), "a repaired manifest does not claim the extraction finished");
    }

    [Test]
    public void PartsOfTwoCachesAreRefusedNamingThemAndNothingIsWritten()
    {
        // A second cache of the same images with another preprocessing (L2-normalised): another fingerprint.
        var spec = JsonNode.Parse(File.ReadAllText(ExtractCliRunner.MobileNetV2Spec))!.AsObject();
        spec["model"]!["path"] = SharedData.MobileNetV2Int8Model;
        spec["features"]!["l2_normalize"] = true;
        using var other = new TempDirectory("cli-cache-repair-other");
        var specFile = other.File("l2.backbone.json");
        File.WriteAllText(specFile, spec.ToJsonString());
        var otherCache = other.File("cache");
        var run = ExtractCliRunner.Run("extract", "--backbone", specFile, "--images", _images, "--cache", otherCache, "--rows-per-part", "8", "--quiet");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);

        using var copy = CopyOfCache("repair-mixed");
        File.Delete(Path.Combine(copy.Path, "_manifest.json"));
        File.Copy(Path.Combine(otherCache, "part-00000.parquet"), Path.Combine(copy.Path, "part-00007.parquet"));
        File.Copy(Path.Combine(otherCache, "part-00000.parquet.sha256"), Path.Combine(copy.Path, "part-00007.parquet.sha256"));
        var before = Directory.GetFiles(copy.Path).Order(StringComparer.Ordinal).ToArray();

        var (code, stdout, stderr) = ExtractCliRunner.Run("cache", "repair", "--cache", copy.Path);
        Assert.That(code, Is.EqualTo(2), stdout + stderr);
        Assert.That(stderr, Does.Contain("2 different caches").And.Contain("part-00007.parquet").And.Contain("part-00000.parquet"));
        Assert.That(File.Exists(Path.Combine(copy.Path, "_manifest.json")), Is.False, "nothing written");
        Assert.That(Directory.GetFiles(copy.Path).Where(f => !Path.GetFileName(f).StartsWith(".lock", StringComparison.Ordinal)),
            Is.EquivalentTo(before.Where(f => !Path.GetFileName(f).StartsWith(".lock", StringComparison.Ordinal))));
    }

    [Test]
    public void AFolderWithoutPartsIsRefusedAndADamagedPartIsNamedNotTrusted()
    {
        using var empty = new TempDirectory("cli-cache-repair-empty");
        File.WriteAllText(empty.File("_manifest.json"), _original[..100]);
        var (code, _, stderr) = ExtractCliRunner.Run("cache", "repair", "--cache", empty.Path);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("holds no cache parts"));
        Assert.That(File.ReadAllText(empty.File("_manifest.json")), Is.EqualTo(_original[..100]), "nothing written");
        Assert.That(Directory.GetFiles(empty.Path), Has.Length.EqualTo(1));

        using var copy = CopyOfCache("repair-damaged-part");
        File.Delete(Path.Combine(copy.Path, "_manifest.json"));
        var part = Path.Combine(copy.Path, "part-00001.parquet");
        var bytes = File.ReadAllBytes(part);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(part, bytes);
        var (damaged, damagedOut, damagedLog) = ExtractCliRunner.Run("cache", "repair", "--cache", copy.Path);
        Assert.That(damaged, Is.EqualTo(2), damagedOut + damagedLog);
        Assert.That(damagedLog, Does.Contain("part-00001.parquet").And.Contain("rerun the same extract command"));
        Assert.That(damagedOut, Does.Contain("1 damaged"));
        var repaired = Fields(File.ReadAllText(Path.Combine(copy.Path, "_manifest.json")));
        Assert.That(repaired["fingerprint_sha256"], Is.EqualTo(Fields(_original)["fingerprint_sha256"]), "rebuilt from the intact parts");
    }

    [Test]
    public void AManifestOfANewerVersionIsNotDamagedAndIsLeftAsItIs()
    {
        using var copy = CopyOfCache("repair-newer");
        var manifest = Path.Combine(copy.Path, "_manifest.json");
        var newer = _original.Replace("\"version\": 1,", "\"version\": 2,", StringComparison.Ordinal);
        Assert.That(newer, Is.Not.EqualTo(_original));
        File.WriteAllText(manifest, newer);
        var (code, _, stderr) = ExtractCliRunner.Run("cache", "repair", "--cache", copy.Path);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("newer OnnxTransfer").And.Contain("not damaged"));
        Assert.That(File.ReadAllText(manifest), Is.EqualTo(newer), "never overwritten");
    }

    /// <summary>Every leaf of a JSON document by its dotted path, as JSON text.</summary>
    private static Dictionary<string, string> Fields(string json)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(JsonElement element, string path)
        {
            if (element.ValueKind == JsonValueKind.Object)
                foreach (var property in element.EnumerateObject()) Walk(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}");
            else if (element.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in element.EnumerateArray()) Walk(item, $"{path}[{i++}]");
            }
            else fields[path] = element.GetRawText();
        }
        using var document = JsonDocument.Parse(json);
        Walk(document.RootElement, "");
        return fields;
    }

    private TempDirectory CopyOfCache(string name)
    {
        var copy = new TempDirectory("cli-" + name);
        foreach (var file in Directory.GetFiles(_cache, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file).StartsWith(".lock", StringComparison.Ordinal)) continue;
            var target = Path.Combine(copy.Path, Path.GetRelativePath(_cache, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return copy;
    }
}
