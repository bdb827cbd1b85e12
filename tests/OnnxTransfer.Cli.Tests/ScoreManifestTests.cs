using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Acceptance: a manifest mixing good images, broken files and missing paths is scored — good rows scored, each bad
/// one with its reason — and <c>--max-errors</c> turns too many bad inputs into exit code 3 without <c>_SUCCESS</c>.
/// Also CSV output and the JSON log lines a scheduler's collector reads.
/// </summary>
[NonParallelizable]
public class ScoreManifestTests
{
    private static ScoreTestModels M => ScoreTestModels.Instance;

    /// <summary>6 good images, a truncated JPEG, a text file named .jpg, an empty file, two missing paths, a row without a path.</summary>
    private static string WriteManifest(TempDirectory folder)
    {
        var val = Directory.GetFiles(Path.Combine(ScoreTestModels.ValFolder, "bees")).Order(StringComparer.Ordinal).Take(6).ToArray();
        var bytes = File.ReadAllBytes(val[0]);
        File.WriteAllBytes(folder.File("truncated.jpg"), bytes[..(bytes.Length / 4)]);
        File.WriteAllText(folder.File("notes.jpg"), "these are notes, not pixels");
        File.WriteAllBytes(folder.File("empty.jpg"), []);
        var lines = new List<string> { "id,path,label" };
        lines.AddRange(val.Select((p, i) => $"good-{i},{p},bees"));
        lines.Add("truncated,truncated.jpg,bees");
        lines.Add("text,notes.jpg,ants");
        lines.Add("empty,empty.jpg,ants");
        lines.Add("missing-1,does/not/exist.jpg,ants");
        lines.Add("missing-2,/nowhere/at/all.png,");
        lines.Add("no-path,,bees");
        File.WriteAllLines(folder.File("inputs.csv"), lines);
        return folder.File("inputs.csv");
    }

    [Test]
    public void GoodImagesAreScoredAndEveryBadOneGetsItsReason()
    {
        using var folder = new TempDirectory("cli-score-manifest");
        var manifest = WriteManifest(folder);
        var output = folder.File("scores");
        var (code, stdout, stderr) = ExtractCliRunner.Run("score", "--model", M.FusedPath, "--input", manifest, "--out", output, "--top-k", "2");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Is.Empty, "scoring logs to stderr only");

        var rows = ScoreTestModels.ReadRows(output);
        Assert.That(rows.Keys, Is.EquivalentTo(new[] { "good-0", "good-1", "good-2", "good-3", "good-4", "good-5", "truncated", "text", "empty", "missing-1", "missing-2", "no-path" }));
        string Reason(string id) => rows[id].Split('|')[6];
        Assert.Multiple(() =>
        {
            for (var i = 0; i < 6; i++)
            {
                var fields = rows[$"good-{i}"].Split('|');
                Assert.That(fields[6], Is.Empty, $"good-{i} is scored");
                Assert.That(fields[1], Is.AnyOf("ants", "bees"));
                Assert.That(fields[3].Split(','), Has.Length.EqualTo(2), "top-2 labels");
                Assert.That(fields[5], Is.EqualTo("bees"), "the manifest's label is kept as true_label");
            }
            Assert.That(Reason("truncated"), Is.EqualTo("truncated"));
            Assert.That(Reason("text"), Is.EqualTo("not-an-image"));
            Assert.That(Reason("empty"), Is.EqualTo("empty-file"));
            Assert.That(Reason("missing-1"), Is.EqualTo("not-found"));
            Assert.That(Reason("missing-2"), Is.EqualTo("not-found"));
            Assert.That(Reason("no-path"), Is.EqualTo("bad-manifest-row"));
            Assert.That(rows["missing-1"].Split('|')[7], Does.Contain("does/not/exist.jpg"), "the message names the input");
            Assert.That(rows["missing-1"].Split('|')[1], Is.Empty, "no label for a failed input");
        });

        // JSON log lines (stderr is a pipe here): one object per line, the last one the summary.
        var events = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.That(events.Select(e => e.GetProperty("event").GetString()), Does.Contain("start").And.Contain("part").And.Contain("done"));
        var done = events[^1];
        Assert.That(done.GetProperty("errors").GetInt64(), Is.EqualTo(6));
        Assert.That(done.GetProperty("errors_by_reason").GetProperty("not-found").GetInt32(), Is.EqualTo(2));
        Assert.That(File.Exists(Path.Combine(output, "_SUCCESS")));

        // DuckDB, an independent Parquet reader, sees the same table through the documented glob.
        var request = new JsonObject
        {
            ["statements"] = new JsonArray(
                $"SELECT count(*) AS n, count(DISTINCT id) AS ids, count(error) AS errors, count(label) AS scored, " +
                $"min(len(top_k_labels)) AS k, typeof(any_value(top_k_labels)) AS list_type, sum(probability) AS total " +
                $"FROM read_parquet('{Path.Combine(output, "*.parquet").Replace("'", "''")}')"),
        };
        var duck = JsonNode.Parse(NodeOracle.Run("duckdb-query.mjs", [], request.ToJsonString()))!["rows"]![0]!;
        long Number(JsonNode? node) => node!.GetValueKind() == JsonValueKind.String ? long.Parse(node.GetValue<string>()) : node.GetValue<long>();
        Assert.That((Number(duck["n"]), Number(duck["ids"]), Number(duck["errors"]), Number(duck["scored"]), Number(duck["k"])), Is.EqualTo((12L, 12L, 6L, 6L, 2L)));
        Assert.That(duck["list_type"]!.GetValue<string>(), Is.EqualTo("VARCHAR[]"));
        var ours = Enumerable.Range(0, 6).Sum(i => double.Parse(rows[$"good-{i}"].Split('|')[2], System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(duck["total"]!.GetValue<double>(), Is.EqualTo(ours).Within(1e-6));
    }

    [Test]
    public void EveryInputFailingIsNoSuccessWithoutMaxErrors()
    {
        // Once a run in which every input failed exited 0 with _SUCCESS unless --max-errors was given.
        using var folder = new TempDirectory("cli-score-all-bad");
        File.WriteAllText(folder.File("inputs.csv"), "id,path\nmissing-1,does/not/exist.jpg\nmissing-2,nor/this.jpg\n");
        var (code, _, log) = ExtractCliRunner.Run("score", "--model", M.FusedPath, "--input", folder.File("inputs.csv"), "--out", folder.File("out"));
        Assert.That(code, Is.EqualTo(3), log);
        Assert.That(log, Does.Contain("every input failed (not-found").And.Contain("--max-errors"));
        Assert.That(File.Exists(Path.Combine(folder.File("out"), "_SUCCESS")), Is.False);
        Assert.That(ScoreTestModels.ReadRows(folder.File("out")), Has.Count.EqualTo(2), "the error rows are kept");
        var (accepted, _, acceptedLog) = ExtractCliRunner.Run("score", "--model", M.FusedPath, "--input", folder.File("inputs.csv"), "--out", folder.File("out"), "--max-errors", "100%");
        Assert.That(accepted, Is.Zero, acceptedLog);
        Assert.That(File.Exists(Path.Combine(folder.File("out"), "_SUCCESS")));
    }

    [Test]
    public void MaxErrorsTurnsTooManyBadInputsIntoExitCode3()
    {
        using var folder = new TempDirectory("cli-score-max-errors");
        var manifest = WriteManifest(folder);
        string[] Score(string output, string maxErrors) =>
            ["score", "--model", M.FusedPath, "--input", manifest, "--out", folder.File(output), "--max-errors", maxErrors];

        var (tooMany, _, log) = ExtractCliRunner.Run(Score("count", "5"));
        Assert.That(tooMany, Is.EqualTo(3), log);
        Assert.That(log, Does.Contain("too-many-errors"));
        Assert.That(ScoreTestModels.ReadRows(folder.File("count")), Has.Count.EqualTo(12), "every row is still written");
        Assert.That(File.Exists(Path.Combine(folder.File("count"), "_SUCCESS")), Is.False, "no success marker for a failed budget");

        Assert.That(ExtractCliRunner.Run(Score("count-ok", "6")).ExitCode, Is.Zero, "6 errors are allowed by --max-errors 6");
        Assert.That(ExtractCliRunner.Run(Score("fraction", "0.25")).ExitCode, Is.EqualTo(3), "6 of 12 is more than 25%");
        Assert.That(ExtractCliRunner.Run(Score("percent", "50%")).ExitCode, Is.Zero, "6 of 12 is 50%");
        var (usage, _, usageLog) = ExtractCliRunner.Run(Score("bad", "many"));
        Assert.That(usage, Is.EqualTo(1), usageLog);
        Assert.That(usageLog, Does.Contain("--max-errors"));
    }

    [Test]
    public void CsvPartsHoldTheSameRowsAsParquet()
    {
        using var folder = new TempDirectory("cli-score-csv");
        var manifest = WriteManifest(folder);
        var (code, _, stderr) = ExtractCliRunner.Run("score", "--model", M.FusedPath, "--input", manifest, "--out", folder.File("csv"), "--format", "csv");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(ExtractCliRunner.Run("score", "--model", M.FusedPath, "--input", manifest, "--out", folder.File("parquet")).ExitCode, Is.Zero);
        var csv = File.ReadAllLines(Path.Combine(folder.File("csv"), "part-00000.csv"));
        Assert.That(csv[0], Is.EqualTo("id,source,label,probability,top_k_labels,top_k_probabilities,true_label,error,error_message"));
        Assert.That(csv, Has.Length.EqualTo(13));
        var parquet = ScoreTestModels.ReadRows(folder.File("parquet"));
        var good = csv.Single(l => l.StartsWith("good-0,", StringComparison.Ordinal));
        var fields = parquet["good-0"].Split('|');
        Assert.That(good, Does.Contain($",{fields[1]},{fields[2]},"), "label and probability (shortest round-trip form) as in Parquet");
        Assert.That(csv.Single(l => l.StartsWith("missing-1,", StringComparison.Ordinal)), Does.Contain(",not-found,"));
    }
}
