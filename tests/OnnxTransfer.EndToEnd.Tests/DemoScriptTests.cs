using System.Globalization;
using System.Text.RegularExpressions;
using OnnxTransfer.Cli.Tests;
using OnnxTransfer.Cli.Tests.DemoData;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.EndToEnd.Tests;

/// <summary>
/// The README's first command, tools/demo.sh, runs the main job unattended and its printed accuracies are those that
/// `evaluate` computes from the exported heads (and that scoring the fused model reproduces).
/// </summary>
// Order: the demo and the README walkthrough publish the CLI the same way (no runtime identifier) and run first, so
// the second publish is incremental; the GPU-flavour and NativeAOT publishes (-r linux-x64) come last, because a
// publish without a runtime identifier after them recompiles every project (about a minute on 2 cores).
[Order(1)]
[NonParallelizable]
public class DemoScriptTests
{
    [Test]
    public void DemoRunsTheMainJobAndItsAccuraciesMatchEvaluate()
    {
        using var work = new TempDirectory("onnxtransfer-demo");
        var result = BashScript.Run(Path.Combine(RepositoryPaths.Tools, "demo.sh"), RepositoryPaths.Root,
            new Dictionary<string, string> { ["ONNXTRANSFER_DEMO_DIR"] = work.Path }, TimeSpan.FromMinutes(8), isFile: true);
        TestContext.Out.WriteLine(result.Stdout);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Output);

        var summary = result.Stdout[result.Stdout.IndexOf("== OnnxTransfer demo", StringComparison.Ordinal)..];
        Assert.That(summary, Does.Contain("398 new embeddings, 0 already cached, 0 failed (dim 1280)"));

        var trainSoftmax = Number(summary, @"train\s+softmax: val accuracy ([0-9.]+)");
        var trainMlp = Number(summary, @"train\s+mlp \[256\]: val accuracy ([0-9.]+)");
        var evaluateSoftmax = Number(summary, @"evaluate\s+softmax head on val: ([0-9.]+)");
        var evaluateMlp = Number(summary, @"mlp head on val: ([0-9.]+)");
        var scored = Number(summary, @"score\s+(\d+) val images");
        var scoreAccuracy = Number(summary, @"accuracy against the folder labels ([0-9.]+)");

        Assert.That(trainSoftmax, Is.EqualTo(evaluateSoftmax), "train's printed val accuracy (softmax) is evaluate's");
        Assert.That(trainMlp, Is.EqualTo(evaluateMlp), "train's printed val accuracy (MLP) is evaluate's");
        Assert.That(scored, Is.EqualTo(153));
        Assert.That(scoreAccuracy, Is.EqualTo(evaluateSoftmax), "the fused model scores val as the softmax head evaluates it");
        Assert.That(evaluateSoftmax, Is.GreaterThanOrEqualTo(0.948), "the issue's accuracy goal on hymenoptera val");

        foreach (var artifact in new[] { "cache/_manifest.json", "head-softmax.onnx", "head-mlp.onnx", "fused.onnx", "report/softmax.html" })
            Assert.That(File.Exists(work.File(artifact)), $"{artifact} was written");

        // Rerunning continues the cache instead of extracting again.
        var rerun = BashScript.Run(Path.Combine(RepositoryPaths.Tools, "demo.sh"), RepositoryPaths.Root,
            new Dictionary<string, string> { ["ONNXTRANSFER_DEMO_DIR"] = work.Path }, TimeSpan.FromMinutes(8), isFile: true);
        Assert.That(rerun.ExitCode, Is.EqualTo(0), rerun.Output);
        Assert.That(rerun.Stdout, Does.Contain("0 new embeddings, 398 already cached"));
        Assert.That(Number(rerun.Stdout, @"evaluate\s+softmax head on val: ([0-9.]+)"), Is.EqualTo(evaluateSoftmax));
    }

    [Test]
    public void OnAFreshCloneWithoutTheSharedFolderTheDemoFetchesItsDataAndCompletes()
    {
        // A clone in a new folder: the repository's files (tracked and new, none of the ignored build outputs), nothing
        // beside it, ONNXTRANSFER_SHARED unset. The public sources cannot be reached here, so the mirror variable points
        // the fetch at a loopback server holding the same two files, made from the shared folder.
        using var parent = new TempDirectory("onnxtransfer-fresh-clone");
        var clone = parent.File("OnnxTransfer");
        Directory.CreateDirectory(clone);
        var copy = BashScript.Run($"git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C '{clone}'",
            RepositoryPaths.Root, timeout: TimeSpan.FromMinutes(2));
        Assert.That(copy.ExitCode, Is.EqualTo(0), copy.Output);
        Assert.That(Directory.Exists(parent.File("shared")), Is.False);

        using var server = new LoopbackFileServer(new()
        {
            [DemoMirror.ModelFile] = File.ReadAllBytes(SharedData.MobileNetV2Int8Model),
            [DemoMirror.ZipFile] = DemoMirror.HymenopteraZip(),
        });
        var environment = new Dictionary<string, string>
        {
            ["ONNXTRANSFER_SHARED"] = "", // unset
            ["ONNXTRANSFER_DATA_MIRROR"] = server.BaseUrl,
            ["ONNXTRANSFER_DEMO_DATA"] = parent.File("data"),
            ["ONNXTRANSFER_DEMO_DIR"] = parent.File("work"),
        };
        var result = BashScript.Run(Path.Combine(clone, "tools", "demo.sh"), clone, environment, TimeSpan.FromMinutes(15), isFile: true);
        TestContext.Out.WriteLine(result.Output);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Output);
        Assert.That(result.Stdout, Does.Contain("[demo] no shared folder (ONNXTRANSFER_SHARED is unset and there is no ../shared)"));
        Assert.That(result.Stderr, Does.Contain("[fetch] hymenoptera_data.zip: 398 files unpacked"));
        Assert.That(server.Requests, Is.EqualTo(new[] { $"GET /{DemoMirror.ModelFile} whole", $"GET /{DemoMirror.ZipFile} whole" }));
        Assert.That(result.Stdout, Does.Contain("398 new embeddings, 0 already cached, 0 failed (dim 1280)"));
        Assert.That(Number(result.Stdout, @"score\s+(\d+) val images"), Is.EqualTo(153));
        Assert.That(Number(result.Stdout, @"evaluate\s+softmax head on val: ([0-9.]+)"), Is.GreaterThanOrEqualTo(0.948));
        Assert.That(File.Exists(parent.File("data/models/mobilenetv2-int8/model.onnx")));

        // The README walkthrough's first block, pasted into this clone, finds that data (fetch-demo-data verifies it and
        // prints the folder; no mirror now, so a download attempt would fail) and the spec resolves the model through it.
        var firstBlock = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(clone, "README.md")), "```sh\n(.*?)```",
            System.Text.RegularExpressions.RegexOptions.Singleline).Groups[1].Value;
        var walkthrough = BashScript.Run("set -euo pipefail\n" + firstBlock + "onnxtransfer inspect \"$SHARED/models/mobilenetv2-int8/model.onnx\" | head -1\n" +
            "echo \"shared=$ONNXTRANSFER_SHARED\"\n", clone, new Dictionary<string, string>
            {
                ["ONNXTRANSFER_SHARED"] = "", ["ONNXTRANSFER_DATA_MIRROR"] = "", ["ONNXTRANSFER_HOME"] = parent.File("data"),
            }, TimeSpan.FromMinutes(2));
        Assert.That(walkthrough.ExitCode, Is.EqualTo(0), walkthrough.Output);
        Assert.That(walkthrough.Stdout, Does.Contain($"shared={parent.File("data")}"));
        Assert.That(walkthrough.Stdout, Does.Contain("libvips        ok  8.18.7"));
        Assert.That(walkthrough.Stderr, Does.Contain("[fetch] images present and verified"));
    }

    private static double Number(string text, string pattern)
    {
        var match = Regex.Match(text, pattern);
        Assert.That(match.Success, $"'{pattern}' not found in:\n{text}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
