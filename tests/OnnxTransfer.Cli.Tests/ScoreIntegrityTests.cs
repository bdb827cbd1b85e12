using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Issue 15 for scores: one layout per folder even when runs start together (the layout check and the run manifest
/// are taken under the folder's layout lock), and score parts checked end to end by <c>score verify</c>.
/// </summary>
[NonParallelizable]
public class ScoreIntegrityTests
{
    private static ScoreTestModels M => ScoreTestModels.Instance;

    /// <summary>
    /// The three runs read their input manifests from named pipes that are filled at the same instant, so all three
    /// reach the layout check together (started plainly, one is usually done creating its manifest before the others
    /// look, and the race hides).
    /// </summary>
    [Test]
    [Repeat(3)]
    public void ThreeLayoutsStartedTogetherOnOneFolderLeaveExactlyOneWinner()
    {
        using var folder = new TempDirectory("cli-score-layout-race");
        var output = folder.File("scores");
        var images = Directory.GetFiles(ScoreTestModels.ValFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var manifest = "id,path\n" + string.Concat(images.Select(p => $"{Path.GetRelativePath(ScoreTestModels.ValFolder, p)},{p}\n"));
        string[] layouts = ["0/4", "0/3", ""];
        var pipes = layouts.Select((_, i) => folder.File($"inputs-{i}.csv")).ToArray();
        foreach (var pipe in pipes)
        {
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [pipe]);
            mkfifo.WaitForExit();
            Assert.That(mkfifo.ExitCode, Is.Zero, "mkfifo");
        }
        var results = layouts.Select((shard, i) => Task.Run(() => ExtractCliRunner.Run(
        [
            "score", "--model", M.FusedPath, "--input", pipes[i], "--out", output, "--rows-per-part", "16",
            .. shard.Length == 0 ? Array.Empty<string>() : ["--shard", shard],
        ]))).ToArray();
        // Opening a pipe for writing waits for its reader: once all three are open, release them together.
        var writers = pipes.Select(pipe => Task.Run(() => new FileStream(pipe, FileMode.Open, FileAccess.Write))).ToArray();
        Assert.That(Task.WaitAll(writers, TimeSpan.FromMinutes(2)), Is.True, "all three runs open their input");
        var bytes = System.Text.Encoding.UTF8.GetBytes(manifest);
        Parallel.ForEach(writers.Select(w => w.Result), stream => { using (stream) stream.Write(bytes); });
        Task.WaitAll(results);
        var codes = results.Select(r => r.Result.ExitCode).ToArray();
        var log = string.Join("\n---\n", results.Select(r => r.Result.Stderr));

        Assert.That(codes.Count(c => c == 0), Is.EqualTo(1), $"exactly one layout wins; exit codes {string.Join(",", codes)}\n{log}");
        Assert.That(codes.Count(c => c == 2), Is.EqualTo(2), $"the others are refused with exit 2; exit codes {string.Join(",", codes)}\n{log}");
        foreach (var refused in results.Where(r => r.Result.ExitCode == 2))
            Assert.That(refused.Result.Stderr, Does.Contain(output).And.Contain("--out"), "the refusal names the folder and the way out");

        var winner = Array.IndexOf(codes, 0);
        var names = Directory.GetFiles(output).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).ToArray();
        var tag = winner switch { 0 => ".shard-0-of-4", 1 => ".shard-0-of-3", _ => "" };
        Assert.That(names.Where(n => n!.StartsWith("_SUCCESS", StringComparison.Ordinal)), Is.EqualTo(new[] { "_SUCCESS" + tag }), "one success marker");
        Assert.That(names.Where(n => n!.StartsWith("_manifest", StringComparison.Ordinal)), Is.EqualTo(new[] { $"_manifest{tag}.json" }), "one run manifest");
        Assert.That(names.Where(n => n!.StartsWith("part-", StringComparison.Ordinal) && n.EndsWith(".parquet", StringComparison.Ordinal))
            .All(n => winner == 2 ? !n!.Contains(".shard-") : n!.Contains(tag)), Is.True, $"every part is of the winning layout: {string.Join(", ", names)}");
        var rows = ScoreTestModels.ReadRows(output);
        if (winner == 2) Assert.That(rows, Has.Count.EqualTo(153), "the unsharded winner scored every input once");
        else Assert.That(rows, Has.Count.InRange(1, 152), "a shard holds its own share only, once");
    }
}
