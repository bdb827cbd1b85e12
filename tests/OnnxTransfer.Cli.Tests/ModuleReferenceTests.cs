using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// The direction of dependencies (docs/architecture.md, "Modules"), checked rather than hoped for: each src project
/// references only the modules its row allows, and the CLI's compiled code uses none of the leaf modules directly (the
/// compiler records an assembly only when the code touches one of its types, in a call, a signature or a catch).
/// </summary>
public class ModuleReferenceTests
{
    /// <summary>Project → the projects it may reference directly (the table of docs/architecture.md).</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["OnnxTransfer.Errors"] = [],
        ["OnnxTransfer.Onnx"] = ["Errors"],
        ["OnnxTransfer.Parquet"] = ["Errors"],
        ["OnnxTransfer.Imaging"] = ["Errors"],
        ["OnnxTransfer.Text"] = ["Errors"],
        ["OnnxTransfer.Runtime"] = ["Errors", "Onnx"],
        ["OnnxTransfer.Formats"] = ["Errors", "Onnx", "Parquet"],
        ["OnnxTransfer.Features"] = ["Errors", "Formats", "Onnx", "Runtime", "Parquet", "Imaging", "Text"],
        // A trainer runs where no backbone can: never the runtime, Imaging or Text.
        ["OnnxTransfer.Training"] = ["Errors", "Formats", "Onnx", "Parquet"],
        ["OnnxTransfer.Inference"] = ["Errors", "Formats", "Features", "Onnx", "Runtime", "Parquet"],
        // Wiring and presentation only: the modules it presents, the formats they share and the one error type it maps.
        ["OnnxTransfer.Cli"] = ["Errors", "Formats", "Features", "Training", "Inference"],
    };

    [Test]
    public void EverySourceProjectReferencesOnlyWhatItsRowAllows()
    {
        var projects = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories);
        Assert.That(projects.Select(Path.GetFileNameWithoutExtension), Is.EquivalentTo(Allowed.Keys), "every src project has a row");
        foreach (var project in projects)
        {
            var references = XDocument.Load(project).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value)["OnnxTransfer.".Length..]).ToArray();
            var name = Path.GetFileNameWithoutExtension(project);
            Assert.That(references, Is.SubsetOf(Allowed[name]), $"{name} references a module its row in docs/architecture.md does not allow");
        }
    }

    [Test]
    public void TheCliBinaryUsesNoLeafModuleDirectly()
    {
        using var stream = File.OpenRead(ExtractCliRunner.CliDll);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var used = metadata.AssemblyReferences.Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name)).ToArray();
        Assert.That(used, Does.Contain("OnnxTransfer.Features").And.Contain("OnnxTransfer.Training").And.Contain("OnnxTransfer.Inference"),
            "the modules the CLI presents (a sanity check that this is the CLI)");
        string[] leaves = ["OnnxTransfer.Onnx", "OnnxTransfer.Runtime", "OnnxTransfer.Parquet", "OnnxTransfer.Imaging", "OnnxTransfer.Text",
            "Microsoft.ML.OnnxRuntime"];
        // The message names the leaf types the CLI touches, which says what to move.
        var leafTypes = metadata.TypeReferences.Select(metadata.GetTypeReference)
            .Where(t => t.ResolutionScope.Kind == HandleKind.AssemblyReference &&
                        leaves.Contains(metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)t.ResolutionScope).Name)))
            .Select(t => $"{metadata.GetString(t.Namespace)}.{metadata.GetString(t.Name)}");
        Assert.That(used.Intersect(leaves), Is.Empty,
            $"the CLI uses leaf types directly ({string.Join(", ", leafTypes)}): move that work into Features, Training or Inference");
    }

    [Test]
    public void TheLeafModulesStillShipBesideTheCli()
    {
        var folder = Path.GetDirectoryName(ExtractCliRunner.CliDll)!;
        foreach (var leaf in new[] { "OnnxTransfer.Onnx", "OnnxTransfer.Runtime", "OnnxTransfer.Parquet", "OnnxTransfer.Imaging", "OnnxTransfer.Text", "Microsoft.ML.OnnxRuntime" })
            Assert.That(File.Exists(Path.Combine(folder, leaf + ".dll")), $"{leaf}.dll is copied beside onnxtransfer.dll (transitively)");
    }
}
