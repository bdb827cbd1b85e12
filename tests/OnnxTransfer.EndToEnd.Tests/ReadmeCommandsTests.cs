using System.Text.Json;
using System.Text.RegularExpressions;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.EndToEnd.Tests;

/// <summary>
/// Every command in README.md runs as written, and every fenced block is accounted for:
/// <list type="bullet">
/// <item><c>sh</c> blocks run in order in one bash session, from a temporary folder laid out like the repository root
/// (its folders are links to the real ones, outputs land in the temporary folder);</item>
/// <item>the <c>sql</c> block runs in DuckDB against what they produced;</item>
/// <item>the <c>bash</c> block's two commands: <c>tools/demo.sh</c> runs in DemoScriptTests (with ../shared, and on a
/// fresh clone without it); <c>tools/test.sh</c> is the command that runs this suite (running it here would recurse), so
/// the check is that the block holds exactly those two;</item>
/// <item>the <c>csharp</c> block is the sample program (below), <c>text</c> blocks are printed output;</item>
/// <item>inline commands: the CLI build (<c>dotnet publish … -o artifacts/onnxtransfer</c>) runs below, the NativeAOT
/// command in NativeAotPublishTests.</item>
/// </list>
/// </summary>
[Order(2)] // see DemoScriptTests
[NonParallelizable]
public class ReadmeCommandsTests
{
    private static string Readme => File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));

    private static IReadOnlyList<string> Blocks(string language) =>
        Regex.Matches(Readme, $"```{language}\\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToArray();

    [Test]
    public void ShellBlocksRunAsWrittenAndTheSqlBlockRunsInDuckDb()
    {
        var shell = Blocks("sh");
        Assert.That(shell, Has.Count.GreaterThanOrEqualTo(5), "the walkthrough's sh blocks");

        // The walkthrough uses the CLI the demo builds; build it the way the README says if it is not there yet.
        var publish = BashScript.Run("dotnet publish src/OnnxTransfer.Cli -c Release -o artifacts/onnxtransfer -nologo -v quiet",
            RepositoryPaths.Root, timeout: TimeSpan.FromMinutes(10)); // a cold publish on a busy 2-core machine
        Assert.That(publish.ExitCode, Is.EqualTo(0), publish.Output);

        using var root = new TempDirectory("onnxtransfer-readme");
        foreach (var folder in new[] { "src", "onnx-models", "tools", "artifacts", "samples", "deploy", "docs" })
            Directory.CreateSymbolicLink(root.File(folder), Path.Combine(RepositoryPaths.Root, folder));

        var script = "set -euo pipefail\n" + string.Join("\n", shell);
        var result = BashScript.Run(script, root.Path, timeout: TimeSpan.FromMinutes(8));
        TestContext.Out.WriteLine(result.Output);
        Assert.That(result.ExitCode, Is.EqualTo(0), $"a README command failed:\n{result.Output}");

        Assert.That(Directory.GetFiles(root.File("work/scores"), "_SUCCESS.shard-*-of-4"), Has.Length.EqualTo(4));
        Assert.That(result.Stdout, Does.Contain("\"id\":"), "parquet cat printed rows");
        Assert.That(result.Stdout, Does.Contain("\"ids\":[101,"), "tokenize printed an encoding");

        var statements = Blocks("sql").SelectMany(block => block.Split(';'))
            .Select(s => string.Join('\n', s.Split('\n').Where(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal))).Trim())
            .Where(s => s.Length > 0)
            .Select(s => s.Replace("'work/", $"'{root.Path}/work/", StringComparison.Ordinal))
            .ToArray();
        Assert.That(statements, Has.Length.EqualTo(3));
        var request = JsonSerializer.Serialize(new Dictionary<string, object> { ["statements"] = statements, ["all"] = true });
        using var answer = JsonDocument.Parse(NodeOracle.Run("duckdb-query.mjs", [], request));
        var results = answer.RootElement.GetProperty("results");
        Assert.That(results[0].GetProperty("rows").GetArrayLength(), Is.EqualTo(4), "split × label groups in the cache");
        Assert.That(results[1].GetProperty("rows").GetArrayLength(), Is.EqualTo(3));
        Assert.That(results[2].GetProperty("rows").GetArrayLength(), Is.GreaterThanOrEqualTo(2));
    }

    [Test]
    public void EveryFencedBlockIsOfAKindATestCovers()
    {
        var kinds = Regex.Matches(Readme, "```(\\w*)\n.*?```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).Distinct().Order().ToArray();
        Assert.That(kinds, Is.SubsetOf(new[] { "bash", "csharp", "sh", "sql", "text" }),
            "a new kind of block in README.md needs a test that runs it (see this class's summary)");
        var bash = Blocks("bash").Single().Split('\n').Select(line => line.Split('#')[0].Trim()).Where(line => line.Length > 0);
        Assert.That(bash, Is.EqualTo(new[] { "tools/demo.sh", "tools/test.sh" }), "the bash block holds what DemoScriptTests and the suite itself cover");
        Assert.That(Blocks("csharp"), Has.Count.EqualTo(1));
        Assert.That(Blocks("sql"), Has.Count.EqualTo(1));

        // Inline dotnet commands are the two this suite runs.
        var inline = Regex.Matches(Readme, "`(dotnet [^`]+)`").Select(m => Regex.Replace(m.Groups[1].Value, "\\s+", " ")).Distinct().Order().ToArray();
        Assert.That(inline, Is.EqualTo(new[]
        {
            "dotnet publish src/OnnxTransfer.Cli -c Release -o artifacts/onnxtransfer",
            "dotnet publish src/OnnxTransfer.Cli -c Release -r linux-x64 -p:OnnxTransferGpu=true",
            "dotnet publish src/OnnxTransfer.Cli -c Release -r linux-x64 -p:PublishAot=true",
        }));
    }

    [Test]
    public void TheLibrarySampleInTheReadmeIsTheSampleProgram()
    {
        var readmeSample = Blocks("csharp").Single();
        var program = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "samples", "PredictorSample", "Program.cs"));
        // The README shows the sample's body; every code line of it must be in the sample program, which CI builds.
        foreach (var line in readmeSample.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            var code = line.Split("//")[0].Trim().Replace("\"fused.onnx\"", "args[0]").Replace("(args,", "(args[1..],");
            if (code.Length == 0) continue;
            Assert.That(program, Does.Contain(code), $"README sample line not in samples/PredictorSample/Program.cs: {line}");
        }
    }
}
