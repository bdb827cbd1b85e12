using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// <c>audit</c> end to end on real images: a small hymenoptera folder is extracted with the shared MobileNetV2 through
/// the CLI, with one training image copied into val; the audit must report that copy as leakage, write its findings as
/// Parquet that DuckDB reads back, slice by a manifest column, and refuse a slice column it cannot find.
/// </summary>
public class AuditCommandTests
{
    private const string CopiedFrom = "train/ants/0013035.jpg";
    private const string Copy = "val/bees/copy-of-0013035.jpg";

    /// <summary>8 + 8 training and 4 + 4 val images of the shared set, plus the copy.</summary>
    private static string MakeFolder(TempDirectory root)
    {
        var images = root.File("images");
        foreach (var (split, label, take) in new[] { ("train", "ants", 8), ("train", "bees", 8), ("val", "ants", 4), ("val", "bees", 4) })
        {
            var target = Directory.CreateDirectory(Path.Combine(images, split, label)).FullName;
            foreach (var file in Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, split, label), "*.jpg").Order(StringComparer.Ordinal).Take(take))
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        File.Copy(Path.Combine(SharedData.Hymenoptera, CopiedFrom), Path.Combine(images, CopiedFrom), overwrite: true);
        File.Copy(Path.Combine(SharedData.Hymenoptera, CopiedFrom), Path.Combine(images, Copy));
        return images;
    }

    [Test]
    public void ACopiedImageInValIsLeakageAndTheFindingsReadBackInDuckDb()
    {
        using var root = new TempDirectory("cli-audit");
        var images = MakeFolder(root);
        var cache = root.File("cache");
        var extract = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", cache, "--quiet");
        Assert.That(extract.ExitCode, Is.EqualTo(0), extract.Stderr);

        // A manifest with a column the cache does not have, joined by id.
        var manifest = root.File("meta.csv");
        var ids = Directory.GetFiles(images, "*.jpg", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(images, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
        File.WriteAllLines(manifest, ids.Select((id, i) => $"{id},{(i % 2 == 0 ? "day" : "night")}").Prepend("id,camera"));

        var output = root.File("audit");
        var report = root.File("audit.html");
        var audit = ExtractCliRunner.Run("audit", "--cache", cache, "--out", output, "--folds", "3", "--slice-by", "camera", "--manifest", manifest,
            "--report", report, "--json");
        Assert.That(audit.ExitCode, Is.EqualTo(0), audit.Stderr);
        var summary = JsonNode.Parse(audit.Stdout)!;
        Assert.That(summary["leaks"]!.GetValue<int>(), Is.GreaterThanOrEqualTo(1));
        Assert.That(summary["train_rows"]!.GetValue<int>(), Is.EqualTo(16));
        var slices = summary["slices"]!["slices"]!.AsArray();
        Assert.That(slices.Select(s => s!["value"]!.GetValue<string>()), Is.EquivalentTo(new[] { "day", "night" }));
        Assert.That(slices.Sum(s => s!["rows"]!.GetValue<int>()), Is.EqualTo(16));
        Assert.That(File.ReadAllText(Path.Combine(output, "audit.json")), Is.EqualTo(audit.Stdout.TrimEnd('\n')));

        var html = File.ReadAllText(report);
        Assert.That(html, Does.Contain("Leakage"));
        Assert.That(html, Does.Contain("<img class=\"thumb\""), "image rows get thumbnails");
        Assert.That(html, Does.Contain("copy-of-0013035.jpg"));

        var findings = Path.Combine(output, "audit.parquet").Replace("'", "''");
        var request = new JsonObject
        {
            ["statements"] = new JsonArray(
                $"SELECT id, neighbour_id, score, given_label, suggested_label, split FROM read_parquet('{findings}') WHERE reason = 'leakage'",
                $"SELECT count(*) AS n, count(rank) AS ranked FROM read_parquet('{findings}') WHERE reason = 'label-issue'"),
            ["all"] = true,
        };
        using var answer = JsonDocument.Parse(NodeOracle.Run("duckdb-query.mjs", [], request.ToJsonString()));
        var results = answer.RootElement.GetProperty("results");
        var leaks = results[0].GetProperty("rows").EnumerateArray().ToArray();
        var leak = leaks.Single(r => r.GetProperty("id").GetString() == Copy);
        Assert.That(leak.GetProperty("neighbour_id").GetString(), Is.EqualTo(CopiedFrom));
        Assert.That(leak.GetProperty("score").GetDouble(), Is.GreaterThan(0.999));
        Assert.That(leak.GetProperty("given_label").GetString(), Is.EqualTo("bees"));
        Assert.That(leak.GetProperty("suggested_label").GetString(), Is.EqualTo("ants"));
        Assert.That(leak.GetProperty("split").GetString(), Is.EqualTo("val"));
        var issues = results[1].GetProperty("rows")[0];
        Assert.That(issues.GetProperty("n").ToString(), Is.EqualTo(issues.GetProperty("ranked").ToString()), "every label issue has a rank");
        Assert.That(int.Parse(issues.GetProperty("n").ToString()), Is.EqualTo(summary["label_issues"]!.GetValue<int>()));
    }

    [Test]
    public void ASliceColumnTheCacheDoesNotHaveNeedsAManifest()
    {
        using var root = new TempDirectory("cli-audit-usage");
        var audit = ExtractCliRunner.Run("audit", "--cache", root.Path, "--slice-by", "camera");
        Assert.That(audit.ExitCode, Is.EqualTo(1), audit.Stderr);
        Assert.That(audit.Stderr, Does.Contain("--manifest"));
        var bad = ExtractCliRunner.Run("audit", "--cache", root.Path, "--folds", "1");
        Assert.That(bad.ExitCode, Is.EqualTo(1), bad.Stderr);
        Assert.That(bad.Stderr, Does.Contain("--folds"));
    }
}
