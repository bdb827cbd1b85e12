using Microsoft.ML.OnnxRuntime;
using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// tools/export_text_encoder.py with Debian's PyTorch (tools/setup.sh --oracles installs python3-torch, so these run on
/// every machine the test command set up): a plain-torch BERT exported through the script's one export path loads as a
/// text backbone and computes what PyTorch computed; bad arguments are refused; without PyTorch or transformers both
/// export scripts say in one line what to install. A module is made missing by a stand-in on PYTHONPATH that fails to
/// import, so the refusal is exercised whatever is installed. (Hugging Face models themselves are not exported here.)
/// </summary>
[NonParallelizable]
public class TextExportScriptTests
{
    private const string Python = "/usr/bin/python3";

    private static (int Code, string Stdout, string Stderr) Script(params string[] arguments) =>
        Run("export_text_encoder.py", missingModules: [], arguments);

    /// <summary>Runs a script of tools/ with /usr/bin/python3; each of <paramref name="missingModules"/> fails to import.</summary>
    private static (int Code, string Stdout, string Stderr) Run(string script, string[] missingModules, params string[] arguments)
    {
        Assert.That(File.Exists(Python), $"{Python} is missing: tools/setup.sh --oracles installs it with python3-torch");
        using var standIns = new TempDirectory("export-missing-modules");
        foreach (var module in missingModules)
            File.WriteAllText(standIns.File(module + ".py"), $"raise ModuleNotFoundError(\"No module named '{module}'\", name=\"{module}\")\n");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (missingModules.Length > 0) start.Environment["PYTHONPATH"] = standIns.Path;
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Tools, script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) { process.Kill(true); Assert.Fail("the export script did not finish in 3 minutes"); }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Test]
    public void RandomPlainTorchBertExportsToWhatPyTorchComputes()
    {
        using var folder = new TempDirectory("features-export-script");
        var output = folder.File("bert");
        var example = folder.File("example.npy");
        var (code, stdout, stderr) = Script("--random-bert", "--hidden", "64", "--layers", "2", "--heads", "4", "--intermediate", "128",
            "--tokenizer", SharedData.BertBaseUncasedTokenizer, "--example-output", example, "--out", output);
        Assert.That(code, Is.Zero, stderr);
        var model = Path.Combine(output, "model.onnx");
        Assert.That(stdout, Does.Contain($"sha256 {FileHash.Sha256(model)}"));

        // The ONNX file on the export's own example batch (two rows, the second padded) against PyTorch's output.
        var ids = NpyFile.Read(folder.File("example.ids.npy"));
        var mask = NpyFile.Read(folder.File("example.mask.npy"));
        var expected = NpyFile.Read(example);
        using var session = new InferenceSession(model);
        Assert.That(session.InputNames, Is.EqualTo(new[] { "input_ids", "attention_mask", "token_type_ids" }));
        using var idsValue = OrtTestRuns.Tensor(ids.AsSpan<long>().ToArray(), ids.Shape);
        using var maskValue = OrtTestRuns.Tensor(mask.AsSpan<long>().ToArray(), mask.Shape);
        using var typesValue = OrtTestRuns.Tensor(new long[ids.ElementCount], ids.Shape);
        using var result = session.RunNamed(["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue]);
        var actual = result["last_hidden_state"].GetTensorData<float>();
        var reference = expected.AsSpan<float>();
        var maskValues = mask.AsSpan<long>();
        var worst = 0.0;
        for (var token = 0; token < maskValues.Length; token++)
        {
            if (maskValues[token] == 0) continue; // padded positions are not defined
            for (var j = 0; j < 64; j++) worst = Math.Max(worst, Math.Abs(actual[token * 64 + j] - reference[token * 64 + j]));
        }
        TestContext.Out.WriteLine($"max |ORT − PyTorch| last_hidden_state {worst:E2}");
        Assert.That(worst, Is.LessThan(1e-4));

        // And the folder is a text backbone: model + tokenizer files, as the spec the script prints says.
        using var backbone = TextBackbone.Load(new BackboneSpec
        {
            Name = "exported",
            Kind = BackboneKind.Text,
            ModelPath = model,
            Text = new TextInputSpec { Tokenizer = output, Pooling = TextPooling.PooledOutput, PooledOutput = "pooler_output" },
        });
        Assert.That(backbone.Dimension, Is.EqualTo(64));
        Assert.That(backbone.Embed(["a gripping , funny movie ."]), Has.Length.EqualTo(64));
    }

    [Test]
    public void BadArgumentsAreRefusedAndModelNeedsTransformers()
    {
        var (code, _, stderr) = Script("--random-bert", "--hidden", "10", "--heads", "3", "--out", "/tmp/unused");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("not a multiple of --heads"));
        var both = Script("--random-bert", "--model", "bert-base-uncased", "--out", "/tmp/unused");
        Assert.That(both.Code, Is.EqualTo(2));
        Assert.That(both.Stderr, Does.Contain("not allowed with argument"));
        var opset = Script("--random-bert", "--opset", "11", "--out", "/tmp/unused");
        Assert.That(opset.Stderr, Does.Contain("--opset must be 14 or later"));

        using var folder = new TempDirectory("features-export-refused");
        var unused = folder.File("not-written");
        var model = Run("export_text_encoder.py", ["transformers"], "--model", "bert-base-uncased", "--out", unused);
        Assert.That(model.Code, Is.EqualTo(1));
        Assert.That(model.Stderr.Trim(), Is.EqualTo(
            $"export_text_encoder: transformers is not installed for {Python}: pip install transformers (or use --random-bert, which needs only PyTorch)"));
        Assert.That(Directory.Exists(unused), Is.False, "nothing is written before the check");
    }

    [TestCase("export_text_encoder.py", "torch", "--random-bert", "apt-get install python3-torch")]
    [TestCase("export_torchvision.py", "torch", "--random", "apt-get install python3-torch python3-torchvision")]
    [TestCase("export_torchvision.py", "torchvision", "--random", "apt-get install python3-torch python3-torchvision")]
    public void MissingPyTorchIsOneLineSayingWhatToInstall(string script, string missing, string source, string install)
    {
        using var folder = new TempDirectory("features-export-no-torch");
        var (code, stdout, stderr) = Run(script, [missing], source, "--out", folder.File("model.onnx"));
        Assert.That(code, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Not.Contain("Traceback"));
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), stderr);
        Assert.That(lines[0], Does.StartWith($"{Path.GetFileNameWithoutExtension(script)}: {missing} is not installed for {Python}: {install}"));
        Assert.That(stdout, Is.Empty);
    }
}
