using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

public class ModelLoadErrorTests
{
    private static readonly SessionSettings Cpu = new();

    [Test]
    public void MissingModelFileNamesThePath()
    {
        using var temp = new TempDirectory();
        var path = temp.File("missing.onnx");
        var error = Assert.Throws<FileNotFoundException>(() => ModelSession.Open(path, Cpu));
        Assert.That(error!.FileName, Is.EqualTo(path));
        Assert.That(error.Message, Does.Contain(path).And.Contain("does not exist"));
    }

    [Test]
    public void TruncatedModelFileIsRefusedAsIncomplete()
    {
        using var temp = new TempDirectory();
        var path = temp.File("truncated.onnx");
        var bytes = File.ReadAllBytes(SharedData.MobileNetV2Int8Model);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<ModelLoadException>(() => ModelSession.Open(path, Cpu));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.ModelPath, Is.EqualTo(path));
        Assert.That(error.Message, Does.Contain(path).And.Contain("not a complete ONNX model"));
        Assert.That(error.InnerException, Is.InstanceOf<OnnxRuntimeException>());
    }

    [Test]
    public void GarbageBytesAreRefusedAsNotAModel()
    {
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        var error = Assert.Throws<ModelLoadException>(() => ModelSession.Open(garbage, Cpu));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.ModelPath, Is.Null);
        Assert.That(error.Message, Does.Contain("4096 bytes").And.Contain("ONNX model"));
    }

    [Test]
    public void EmptyBytesAndDirectoriesAreRefusedUpFront()
    {
        Assert.Throws<ArgumentException>(() => ModelSession.Open(Array.Empty<byte>(), Cpu));
        using var temp = new TempDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => ModelSession.Open(temp.Path, Cpu));
        Assert.That(error!.Message, Does.Contain("is a directory"));
    }
}
