using System.Text.Json;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Export;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// The few-labels flow through the command line on the real hymenoptera images and the shared MobileNetV2: a manifest
/// with 3 labelled training images per class and the other training images unlabelled (empty label, no split) is
/// extracted into one cache; <c>train --head knn</c> fits on the labelled rows; <c>suggest</c> picks unlabelled rows to
/// label next; the suggest manifest, once its labels are filled in, is accepted by <c>extract --images</c>.
/// </summary>
[NonParallelizable]
public class FewLabelsCommandTests
{
    [Test]
    public void TrainKnnThenSuggestThenExtractTheLabelledSuggestions()
    {
        using var temp = new TempDirectory("cli-few-labels");
        var train = Path.GetFullPath(Path.Combine(SharedData.Hymenoptera, "train"));
        var images = Directory.GetDirectories(train).OrderBy(d => d, StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase)).OrderBy(f => f, StringComparer.Ordinal)
                .Select((file, i) => (File: file, Label: Path.GetFileName(d), Labelled: i < 3)))
            .ToArray();
        var manifest = temp.File("inputs.csv");
        File.WriteAllLines(manifest, ["path,label,split", .. images.Select(x => x.Labelled ? $"{x.File},{x.Label},train" : $"{x.File},,")]);
        var cache = temp.File("cache");
        var (extracted, _, extractLog) = TrainCli.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", manifest, "--cache", cache, "--quiet");
        Assert.That(extracted, Is.Zero, extractLog);

        var head = temp.File("knn.onnx");
        var (trained, trainJson, trainLog) = TrainCli.Run("train", "--cache", cache, "--head", "knn", "--k", "3", "--out", head, "--json");
        Assert.That(trained, Is.Zero, trainLog);
        var imported = HeadOnnxImporter.Load(head).Head;
        Assert.That((imported.Kind, imported.Vote!.K, imported.Vote.RowCount), Is.EqualTo(("nearest-neighbours", 3, 6)));

        var next = temp.File("next.csv");
        var (suggested, suggestJson, suggestLog) = TrainCli.Run("suggest", "--cache", cache, "--head", head, "--budget", "8", "--out", next, "--json");
        Assert.That(suggested, Is.Zero, suggestLog);
        using var json = JsonDocument.Parse(suggestJson);
        int unlabelled = images.Count(x => !x.Labelled);
        Assert.That(json.RootElement.GetProperty("unlabelled").GetInt32(), Is.EqualTo(unlabelled));
        Assert.That(json.RootElement.GetProperty("labelled").GetInt32(), Is.EqualTo(6));
        var picks = json.RootElement.GetProperty("suggestions").EnumerateArray().ToArray();
        Assert.That(picks, Has.Length.EqualTo(8));
        var unlabelledFiles = images.Where(x => !x.Labelled).Select(x => x.File).ToHashSet();
        var sources = picks.Select(p => p.GetProperty("source").GetString()!).ToArray();
        Assert.That(sources, Is.Unique);
        Assert.That(sources.Where(s => !unlabelledFiles.Contains(s)), Is.Empty, "only unlabelled rows are suggested");

        var lines = File.ReadAllLines(next);
        Assert.That(lines[0], Is.EqualTo("id,path,label,split,rank,score,margin,distance,predicted"));
        Assert.That(lines, Has.Length.EqualTo(9));
        // A labeller fills in the label column; extract takes the file as a manifest.
        var truth = images.ToDictionary(x => x.File, x => x.Label);
        var labelledNext = temp.File("labelled-next.csv");
        File.WriteAllLines(labelledNext, [lines[0], .. lines.Skip(1).Select(line =>
        {
            var fields = line.Split(',');
            fields[2] = truth[fields[1]];
            return string.Join(',', fields);
        })]);
        var (again, _, againLog) = TrainCli.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", labelledNext, "--cache", temp.File("next-cache"), "--quiet");
        Assert.That(again, Is.Zero, againLog);
        using var nextCache = OnnxTransfer.Features.Cache.EmbeddingCache.Open(temp.File("next-cache"));
        var rows = nextCache.ReadRows();
        Assert.That(rows.Select(r => (r.Source, r.Label)), Is.EquivalentTo(picks.Select(p => (p.GetProperty("source").GetString(), (string?)truth[p.GetProperty("source").GetString()!]))));

        var (refused, _, refusedLog) = TrainCli.Run("train", "--cache", cache, "--head", "softmax", "--k", "3", "--out", temp.File("x.onnx"));
        Assert.That(refused, Is.EqualTo(1));
        Assert.That(refusedLog, Does.Contain("--k applies to --head knn"));
    }
}
