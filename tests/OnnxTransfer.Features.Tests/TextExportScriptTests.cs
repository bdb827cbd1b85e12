using Microsoft.ML.OnnxRuntime;
using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// tools/export_text_encoder.py with Debian's PyTorch: a plain-torch BERT exported through the script's one export path
/// loads as a text backbone and computes what PyTorch computed; bad arguments are refused; --model without
/// transformers says how to get it. (Hugging Face models themselves cannot be exported here: no transformers.)
/// </summary>
[NonParallelizable]
public class TextExportScriptTests
{
    private const string Python = "/usr/bin/python3";

    private static (int Code, string Stdout, string Stderr) Script(params string[] arguments)
    {
        if (!File.Exists(Python)) Assert.Ignore($"{Python} is not installed (tools/setup.sh --bench installs Debian's python3-torch).");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Tools, "export_text_encoder.py"));
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
        if (code != 0 && stderr.Contains("No module named 'torch'")) Assert.Ignore("PyTorch is not installed for /usr/bin/python3.");
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

        var model = Script("--model", "bert-base-uncased", "--out", "/tmp/onnxtransfer-export-unused");
        if (model.Code == 0) Assert.Inconclusive("transformers is installed here and exported the model; the refusal path was not exercised.");
        Assert.That(model.Stderr, Does.Contain("pip install transformers").Or.Contain("cannot"), model.Stderr);
    }
}
