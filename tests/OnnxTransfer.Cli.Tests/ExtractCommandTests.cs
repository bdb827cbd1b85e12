using System.Text.Json;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>The backbone, extract and cache commands end to end: output, exit codes, refusals, Ctrl-C.</summary>
[NonParallelizable]
public class ExtractCommandTests
{
    private static string ValBees => Path.Combine(SharedData.Hymenoptera, "val", "bees");

    [Test]
    public void ExtractThenCacheInfoReportTheRowsPerSplitAndLabel()
    {
        using var cache = new TempDirectory("cli-extract");
        var run = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", SharedData.Hymenoptera,
            "--cache", cache.Path, "--json", "--limit", "120");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using (var summary = JsonDocument.Parse(run.Stdout))
        {
            var root = summary.RootElement;
            Assert.That((root.GetProperty("embedded").GetInt32(), root.GetProperty("deferred").GetInt32(), root.GetProperty("dim").GetInt32()), Is.EqualTo((120, 278, 1280)));
            Assert.That(root.GetProperty("images_per_second").GetDouble(), Is.GreaterThan(0));
        }
        Assert.That(run.Stderr, Does.Contain("backbone   mobilenetv2-int8").And.Contain("extract: 120/120"), "plain progress lines when stderr is not a terminal");

        var more = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", SharedData.Hymenoptera, "--cache", cache.Path);
        Assert.That(more.ExitCode, Is.Zero, more.Stderr);
        Assert.That(more.Stdout, Does.Contain("398: 278 embedded, 0 failed, 120 already cached"));
        Assert.That(more.Stderr, Does.Contain("(continuing, fingerprint"));

        var info = ExtractCliRunner.Run("cache", "info", cache.Path, "--json");
        Assert.That(info.ExitCode, Is.Zero, info.Stderr);
        using var json = JsonDocument.Parse(info.Stdout);
        var groups = json.RootElement.GetProperty("groups").EnumerateArray()
            .Select(g => (g.GetProperty("split").GetString(), g.GetProperty("label").GetString(), g.GetProperty("rows").GetInt32())).ToArray();
        Assert.That(groups, Is.EqualTo(new[] { ("train", "ants", 124), ("train", "bees", 121), ("val", "ants", 70), ("val", "bees", 83) }));
        Assert.That(json.RootElement.GetProperty("rows").GetInt32(), Is.EqualTo(398));

        var text = ExtractCliRunner.Run("cache", "info", cache.Path);
        Assert.That(text.Stdout, Does.Contain("rows       398 × 1280 float32").And.Contain("errors     none"));
    }

    [Test]
    public void BadImagesAreListedAndMaxErrorsSetsExitCode3()
    {
        using var images = new TempDirectory("cli-extract-images");
        using var cache = new TempDirectory("cli-extract-cache");
        foreach (var file in Directory.GetFiles(ValBees).Order(StringComparer.Ordinal).Take(3)) File.Copy(file, images.File(Path.GetFileName(file)));
        File.WriteAllText(images.File("notes.jpg"), "not an image");
        File.WriteAllBytes(images.File("empty.png"), []);

        var run = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images.Path, "--cache", cache.Path, "--max-errors", "1");
        Assert.That(run.ExitCode, Is.EqualTo(3), run.Stderr);
        Assert.That(run.Stdout, Does.Contain("3 embedded, 2 failed").And.Contain("errors     ").And.Contain("not-an-image 1").And.Contain("empty-file 1"));
        Assert.That(run.Stderr, Does.Contain("more than --max-errors 1"));
        Assert.That(File.Exists(Path.Combine(cache.Path, "_SUCCESS")), Is.False, "a failed error budget claims no success");

        var info = ExtractCliRunner.Run("cache", "info", cache.Path);
        Assert.That(info.Stdout, Does.Contain("errors     2").And.Contain("notes.jpg [not-an-image]").And.Contain("empty.png [empty-file]"));
    }

    [Test]
    public void EveryInputFailingIsNoSuccessWithoutMaxErrors()
    {
        // Once a run in which every input failed exited 0 with _SUCCESS unless --max-errors was given.
        using var images = new TempDirectory("cli-extract-all-bad");
        using var cache = new TempDirectory("cli-extract-all-bad-cache");
        File.WriteAllText(images.File("notes.jpg"), "not an image");
        File.WriteAllBytes(images.File("empty.png"), []);
        File.WriteAllBytes(images.File("empty2.png"), []);

        var run = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images.Path, "--cache", cache.Path);
        Assert.That(run.ExitCode, Is.EqualTo(3), run.Stderr);
        Assert.That(run.Stderr, Does.Contain("every one of the 3 inputs failed (empty-file ×2, not-an-image ×1)").And.Contain("--max-errors").And.Contain("--retry-errors"));
        Assert.That(File.Exists(Path.Combine(cache.Path, "_SUCCESS")), Is.False);
        Assert.That(ExtractCliRunner.Run("cache", "info", cache.Path).Stdout, Does.Contain("errors     3"), "the error rows are kept");

        var accepted = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images.Path, "--cache", cache.Path, "--retry-errors", "--max-errors", "3");
        Assert.That(accepted.ExitCode, Is.Zero, accepted.Stderr);
        Assert.That(File.Exists(Path.Combine(cache.Path, "_SUCCESS")), "--max-errors accepts the failures");
    }

    [Test]
    public void RefusalsAreOneLineWithExitCode2AndNothingIsWritten()
    {
        using var cache = new TempDirectory("cli-extract-refused");
        using var specs = new TempDirectory("cli-extract-specs");
        File.WriteAllText(specs.File("bad.backbone.json"), "{ \"name\": \"x\", \"model\": { \"path\": \"m.onnx\" }, \"feature\": {} }");
        var bad = ExtractCliRunner.Run("extract", "--backbone", specs.File("bad.backbone.json"), "--images", ValBees, "--cache", cache.Path);
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        // stderr is not a terminal: the refusal is the run log's one JSON error line (a terminal gets "error: …").
        Assert.That(bad.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), bad.Stderr);
        using (var line = System.Text.Json.JsonDocument.Parse(bad.Stderr))
        {
            Assert.That(line.RootElement.GetProperty("level").GetString(), Is.EqualTo("error"));
            Assert.That(line.RootElement.GetProperty("exit_code").GetInt32(), Is.EqualTo(2));
            Assert.That(line.RootElement.GetProperty("message").GetString(), Does.Contain("\"feature\" is not a field").And.Not.Contain("   at "));
        }

        var missing = ExtractCliRunner.Run("extract", "--backbone", specs.File("none.backbone.json"), "--images", ValBees, "--cache", cache.Path);
        Assert.That((missing.ExitCode, missing.Stderr), Is.EqualTo((2, missing.Stderr)));
        Assert.That(missing.Stderr, Does.Contain("backbone init"));

        var noImages = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", specs.File("nothing"), "--cache", cache.Path);
        Assert.That(noImages.ExitCode, Is.EqualTo(2));
        Assert.That(noImages.Stderr, Does.Contain("No folder or manifest"));

        var zero = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", ValBees, "--cache", cache.Path, "--batch", "0");
        Assert.That(zero.ExitCode, Is.EqualTo(1));
        Assert.That(zero.Stderr + zero.Stdout, Does.Contain("--batch must be at least 1"));
        Assert.That(Directory.GetFileSystemEntries(cache.Path), Is.Empty);
    }

    [Test]
    public void AnotherPreprocessingIsRefusedUnlessNewCache()
    {
        using var cache = new TempDirectory("cli-extract-mismatch");
        using var specs = new TempDirectory("cli-extract-specs");
        var first = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", ValBees, "--cache", cache.Path, "--limit", "5");
        Assert.That(first.ExitCode, Is.Zero, first.Stderr);

        var spec = File.ReadAllText(ExtractCliRunner.MobileNetV2Spec).Replace("\"l2_normalize\": false", "\"l2_normalize\": true")
            .Replace("${ONNXTRANSFER_SHARED:-../../shared}", SharedData.Root);
        File.WriteAllText(specs.File("l2.backbone.json"), spec);
        var refused = ExtractCliRunner.Run("extract", "--backbone", specs.File("l2.backbone.json"), "--images", ValBees, "--cache", cache.Path);
        Assert.That(refused.ExitCode, Is.EqualTo(2));
        Assert.That(refused.Stderr, Does.Contain("features.l2_normalize: cache has false, this run has true").And.Contain("--new-cache"));

        var replaced = ExtractCliRunner.Run("extract", "--backbone", specs.File("l2.backbone.json"), "--images", ValBees, "--cache", cache.Path, "--new-cache", "--limit", "2");
        Assert.That(replaced.ExitCode, Is.Zero, replaced.Stderr);
        Assert.That(replaced.Stderr, Does.Contain("(replacing,"));
        Assert.That(replaced.Stdout, Does.Contain("2 embedded, 0 failed, 0 already cached"));
    }

    [Test]
    public void CtrlCStopsAfterCommittingTheFinishedRowsWithExitCode130()
    {
        using var cache = new TempDirectory("cli-extract-sigint");
        using var process = ExtractCliRunner.StartAsFromATerminal("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", SharedData.Hymenoptera,
            "--cache", cache.Path, "--decode-threads", "1", "--batch", "4");
        var stdout = process.StandardOutput.ReadToEndAsync();
        // The signal goes at the first progress line (rows are finished, ~3 s of work left), not after a fixed sleep:
        // on a loaded CI machine a sleeping test thread woke after the whole run had ended (exit 0, not 130).
        var log = new System.Text.StringBuilder();
        using var rowsFinished = new ManualResetEventSlim();
        var reader = Task.Run(() =>
        {
            while (process.StandardError.ReadLine() is { } line)
            {
                lock (log) log.AppendLine(line);
                if (line.StartsWith("extract: ", StringComparison.Ordinal)) rowsFinished.Set();
            }
        });
        Assert.That(rowsFinished.Wait(TimeSpan.FromSeconds(60)), Is.True, "no progress line within 60 s");
        Assert.That(process.HasExited, Is.False, "the run must still be going when the signal comes");
        using (var signal = System.Diagnostics.Process.Start("kill", ["-INT", process.Id.ToString()])) signal.WaitForExit();
        Assert.That(process.WaitForExit(TimeSpan.FromSeconds(30)), Is.True, "the run stops promptly");
        reader.Wait();
        var stderr = log.ToString();
        TestContext.Out.WriteLine(stderr);
        Assert.That(process.ExitCode, Is.EqualTo(130), stderr + stdout.Result);
        Assert.That(stderr, Does.Contain("interrupted; rerun the same command to continue"));
        Assert.That(Directory.GetFiles(cache.Path, "part-*.parquet"), Is.Not.Empty, "finished rows were committed although no part was full");
        Assert.That(Directory.GetFiles(cache.Path, "*.tmp"), Is.Empty);

        var rest = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", SharedData.Hymenoptera, "--cache", cache.Path, "--json");
        Assert.That(rest.ExitCode, Is.Zero, rest.Stderr);
        using var json = JsonDocument.Parse(rest.Stdout);
        var cached = json.RootElement.GetProperty("already_cached").GetInt32();
        Assert.That(cached, Is.GreaterThan(0).And.LessThan(398));
        Assert.That(cached + json.RootElement.GetProperty("embedded").GetInt32(), Is.EqualTo(398));
    }

    [Test]
    public void BackboneInitWritesASpecThatChecksAndExtracts()
    {
        using var folder = new TempDirectory("cli-backbone-init");
        var spec = folder.File("mobilenet.backbone.json");
        var init = ExtractCliRunner.Run("backbone", "init", SharedData.MobileNetV2Int8Model, "--out", spec);
        Assert.That(init.ExitCode, Is.Zero, init.Stderr);
        Assert.That(init.Stdout, Does.Contain("/Flatten_output_0").And.Contain(SharedData.MobileNetV2Sha256));
        using (var json = JsonDocument.Parse(File.ReadAllText(spec)))
        {
            var root = json.RootElement;
            Assert.That(root.GetProperty("name").GetString(), Is.EqualTo("mobilenetv2-int8"));
            Assert.That(root.GetProperty("input").GetProperty("name").GetString(), Is.EqualTo("input"));
            Assert.That(root.GetProperty("image").GetProperty("resize").GetInt32(), Is.EqualTo(256));
            Assert.That(root.GetProperty("features").GetProperty("tensor").GetString(), Is.EqualTo("/Flatten_output_0"));
            Assert.That(Path.GetFullPath(Path.Combine(folder.Path, root.GetProperty("model").GetProperty("path").GetString()!)),
                Is.EqualTo(Path.GetFullPath(SharedData.MobileNetV2Int8Model)), "the model path is relative to the spec");
        }
        Assert.That(ExtractCliRunner.Run("backbone", "init", SharedData.MobileNetV2Int8Model, "--out", spec).ExitCode, Is.EqualTo(2), "no silent overwrite");

        var check = ExtractCliRunner.Run("backbone", "check", spec, "--json");
        Assert.That(check.ExitCode, Is.Zero, check.Stderr);
        using var checkJson = JsonDocument.Parse(check.Stdout);
        Assert.That(checkJson.RootElement.GetProperty("dim").GetInt32(), Is.EqualTo(1280));

        // The same fingerprint as the repository's spec: an init'ed spec and onnx-models/ share caches.
        var repository = ExtractCliRunner.Run("backbone", "check", ExtractCliRunner.MobileNetV2Spec, "--json");
        using var repositoryJson = JsonDocument.Parse(repository.Stdout);
        Assert.That(checkJson.RootElement.GetProperty("fingerprint_sha256").GetString(), Is.EqualTo(repositoryJson.RootElement.GetProperty("fingerprint_sha256").GetString()));
    }
}
