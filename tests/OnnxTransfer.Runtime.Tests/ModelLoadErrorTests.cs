using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

public class ModelLoadErrorTests
{
    [Test]
    public void MissingModelFileNamesThePath()
    {
        using var temp = new TempDirectory();
        var path = temp.File("missing.onnx");
        var error = Assert.Throws<FileNotFoundException>(() => new InferenceSession(path));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.FileName, Is.EqualTo(path));
        Assert.That(error.Message, Does.Contain(path).And.Contain("does not exist"));
    }

    [Test]
    public void TruncatedModelFileIsRefusedAsIncomplete()
    {
        using var temp = new TempDirectory();
        var path = temp.File("truncated.onnx");
        var bytes = File.ReadAllBytes(SharedData.MobileNetV2Int8Model);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<ModelLoadException>(() => new InferenceSession(path));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.ModelPath, Is.EqualTo(path));
        Assert.That(error.Message, Does.Contain(path).And.Contain("not a complete ONNX model"));
        Assert.That(error.NativeMessage, Is.Not.Empty);
    }

    [Test]
    public void GarbageBytesAreRefusedAsNotAModel()
    {
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        var error = Assert.Throws<ModelLoadException>(() => new InferenceSession(garbage));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.ModelPath, Is.Null);
        Assert.That(error.Message, Does.Contain("4096 bytes").And.Contain("ONNX model"));
        Assert.That(error.InnerException, Is.InstanceOf<OrtException>());
    }

    [Test]
    public void EmptyBytesAndDirectoriesAreRefusedUpFront()
    {
        Assert.Throws<ArgumentException>(() => new InferenceSession(ReadOnlyMemory<byte>.Empty));
        using var temp = new TempDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => new InferenceSession(temp.Path));
        Assert.That(error!.Message, Does.Contain("is a directory"));
    }
}
