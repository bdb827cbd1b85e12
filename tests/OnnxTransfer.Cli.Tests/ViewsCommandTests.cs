using System.Text.Json;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// <c>extract --views</c>, <c>cache info</c> and <c>train</c> on a cache with views, end to end on real images: the
/// views in the summary and the cache, training on every view of the training split, the evaluation split reported on
/// its original view and as test-time augmentation, and the refusals (texts, unknown views, a cache without views).
/// </summary>
[NonParallelizable]
public class ViewsCommandTests
{
    [Test]
    public void ExtractWithViewsThenTrainReportsTheOriginalViewAndTheMeanOverViews()
    {
        using var images = new TempDirectory("cli-views-images");
        using var cache = new TempDirectory("cli-views-cache");
        HymenopteraSubset.CopyTo(images.Path, perLabel: 12);
        var extract = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images.Path, "--cache", cache.Path,
            "--views", "hflip", "--json");
        Assert.That(extract.ExitCode, Is.Zero, extract.Stderr);
        using (var summary = JsonDocument.Parse(extract.Stdout))
        {
            var root = summary.RootElement;
            Assert.That(root.GetProperty("views").EnumerateArray().Select(v => v.GetString()), Is.EqualTo(new[] { "original", "hflip" }));
            Assert.That((root.GetProperty("embedded").GetInt32(), root.GetProperty("view_rows").GetInt32()), Is.EqualTo((48, 96)));
        }
        Assert.That(extract.Stderr, Does.Contain("views      original, hflip"));

        var info = ExtractCliRunner.Run("cache", "info", cache.Path, "--json");
        Assert.That(info.ExitCode, Is.Zero, info.Stderr);
        using (var json = JsonDocument.Parse(info.Stdout))
        {
            var views = json.RootElement.GetProperty("views").EnumerateArray()
                .Select(v => (v.GetProperty("id").GetInt32(), v.GetProperty("name").GetString(), v.GetProperty("rows").GetInt32()));
            Assert.That(views, Is.EqualTo(new[] { (0, "original", 48), (1, "hflip", 48) }));
        }
        Assert.That(ExtractCliRunner.Run("cache", "info", cache.Path).Stdout, Does.Contain("views      original (id 0) 48 rows, hflip (id 1) 48 rows"));

        var train = ExtractCliRunner.Run("train", "--cache", cache.Path, "--head", "softmax", "--cv", "3", "--out", cache.File("head.onnx"), "--json");
        Assert.That(train.ExitCode, Is.Zero, train.Stderr);
        using (var json = JsonDocument.Parse(train.Stdout))
        {
            var root = json.RootElement;
            Assert.That(root.GetProperty("head").GetProperty("training_rows").GetInt32(), Is.EqualTo(48), "both views of the 24 training images");
            var metrics = root.GetProperty("metrics").EnumerateArray().ToDictionary(m => m.GetProperty("split").GetString()!, m => m.GetProperty("rows").GetInt32());
            Assert.That(metrics, Is.EqualTo(new Dictionary<string, int> { ["train"] = 48, ["val"] = 24 }));
            var tta = root.GetProperty("eval_tta");
            Assert.That((tta.GetProperty("split").GetString(), tta.GetProperty("rows").GetInt32()), Is.EqualTo(("val (tta)", 24)));
            Assert.That(root.GetProperty("notes").EnumerateArray().Select(n => n.GetString()), Has.Some.Contains("mean of the probabilities over its 48 view rows of 24 inputs"));
        }
        var evaluate = ExtractCliRunner.Run("evaluate", "--cache", cache.Path, "--head", cache.File("head.onnx"), "--split", "val", "--json");
        Assert.That(evaluate.ExitCode, Is.Zero, evaluate.Stderr);
        using (var json = JsonDocument.Parse(evaluate.Stdout))
        using (var trained = JsonDocument.Parse(train.Stdout))
        {
            var accuracy = (JsonElement m) => m.GetProperty("accuracy").GetDouble();
            Assert.That(accuracy(json.RootElement.GetProperty("eval_tta")), Is.EqualTo(accuracy(trained.RootElement.GetProperty("eval_tta"))), "evaluate reports what train reported");
        }
        var sweep = ExtractCliRunner.Run("sweep", "--cache", cache.Path, "--grid", "softmax-l2-fast", "--cv", "3", "--json");
        Assert.That(sweep.ExitCode, Is.Zero, sweep.Stderr);
        using (var json = JsonDocument.Parse(sweep.Stdout))
            Assert.That(json.RootElement.GetProperty("eval_tta").GetProperty("rows").GetInt32(), Is.EqualTo(24), "sweep trains on the views and reports the mean over them too");
        var text = ExtractCliRunner.Run("train", "--cache", cache.Path, "--head", "centroid", "--train-views", "original", "--out", cache.File("centroid.onnx"));
        Assert.That(text.ExitCode, Is.Zero, text.Stderr);
        Assert.That(text.Stdout, Does.Contain("val (tta)").And.Contain("trained on the original view of 'train' only"));
    }

    [Test]
    public void ViewsAreRefusedForTextsUnknownNamesAndCachesWithoutThem()
    {
        using var folder = new TempDirectory("cli-views-refused");
        File.WriteAllText(folder.File("texts.txt"), "a text\n");
        var texts = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--texts", folder.File("texts.txt"), "--cache", folder.File("t"),
            "--views", "hflip");
        Assert.That(texts.ExitCode, Is.EqualTo(1));
        Assert.That(texts.Stderr, Does.Contain("--views goes with --images"));

        var unknown = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", folder.Path, "--cache", folder.File("u"),
            "--views", "hflip,rotate");
        Assert.That(unknown.ExitCode, Is.EqualTo(1));
        Assert.That(unknown.Stderr, Does.Contain("unknown view 'rotate'").And.Contain("original, hflip"));

        var images = HymenopteraSubset.CopyTo(folder.File("images"), perLabel: 1);
        var plain = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", folder.File("plain"));
        Assert.That(plain.ExitCode, Is.Zero, plain.Stderr);
        var mixed = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", folder.File("plain"), "--views", "hflip");
        Assert.That(mixed.ExitCode, Is.EqualTo(2));
        Assert.That(mixed.Stderr, Does.Contain("was extracted without views").And.Contain("never mixed"));
    }
}
