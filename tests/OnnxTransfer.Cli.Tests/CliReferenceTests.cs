using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// docs/cli.md is what tools/cli-reference.sh writes from the CLI's own --help: regenerated here from the CLI built
/// beside the tests and compared, so an option added, renamed or redescribed without regenerating the reference fails.
/// </summary>
public class CliReferenceTests
{
    [Test]
    public void DocsCliMdIsTheCurrentHelpOfEveryCommand()
    {
        using var folder = new TempDirectory("cli-reference");
        var fresh = folder.File("cli.md");
        var result = BashScript.Run($"tools/cli-reference.sh '{fresh}'", RepositoryPaths.Root,
            new Dictionary<string, string> { ["ONNXTRANSFER_CLI"] = $"dotnet {ExtractCliRunner.CliDll}" }, TimeSpan.FromMinutes(3));
        Assert.That(result.ExitCode, Is.Zero, result.Output);

        var committed = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "cli.md"));
        var generated = File.ReadAllText(fresh);
        Assert.That(generated, Does.Contain("## `onnxtransfer score`").And.Contain("## `onnxtransfer parquet cat`"), "every subcommand, nested ones too");
        Assert.That(committed, Is.EqualTo(generated), "docs/cli.md is stale: run tools/cli-reference.sh and commit docs/cli.md");
    }
}
