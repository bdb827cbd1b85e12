using OnnxTransfer.Runtime.Tests.Support;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

/// <summary>Inputs and outputs that do not fit the model are refused before ORT runs, naming the value and the mismatch.</summary>
public class RunValidationTests
{
    private InferenceSession _session = null!;

    [OneTimeSetUp]
    public void LoadModel() => _session = new InferenceSession(SharedData.MobileNetV2Int8Model);

    [OneTimeTearDown]
    public void DisposeModel() => _session.Dispose();

    [Test]
    public void WrongInputNameListsTheModelsInputs()
    {
        using var input = OrtValue.CreateTensor(Reference.Images[0].Input, [1, 3, 224, 224]);
        var error = Assert.Throws<TensorMismatchException>(() => _session.Run("images", input));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.ValueName, Is.EqualTo("images"));
        Assert.That(error.Message, Does.Contain("no input named 'images'").And.Contain("'input'"));
    }

    [Test]
    public void WrongSizeNamesTheDimension()
    {
        using var input = OrtValue.CreateTensor(new float[3 * 112 * 112], [1, 3, 112, 112]);
        var error = Assert.Throws<TensorMismatchException>(() => _session.Run("input", input));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.ValueName, Is.EqualTo("input"));
        Assert.That(error.Expected, Is.EqualTo("float[batch_size,3,224,224]"));
        Assert.That(error.Actual, Is.EqualTo("float[1,3,112,112]"));
        Assert.That(error.Message, Does.Contain("dimension 2 must be 224, got 112"));
    }

    [Test]
    public void WrongRankIsRefused()
    {
        using var input = OrtValue.CreateTensor(new float[3 * 224 * 224], [3, 224, 224]);
        var error = Assert.Throws<TensorMismatchException>(() => _session.Run("input", input));
        Assert.That(error!.Message, Does.Contain("rank 4 expected, got rank 3"));
    }

    [Test]
    public void WrongElementTypeSaysWhatToCreate()
    {
        using var input = OrtValue.CreateTensor(new long[3 * 224 * 224], [1, 3, 224, 224]);
        var error = Assert.Throws<TensorMismatchException>(() => _session.Run("input", input));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.Message, Does.Contain("must hold float elements").And.Contain("int64").And.Contain("from float data"));
    }

    [Test]
    public void MissingInputIsNamed()
    {
        var error = Assert.Throws<TensorMismatchException>(() => _session.Run([], []));
        Assert.That(error!.ValueName, Is.EqualTo("input"));
        Assert.That(error.Message, Does.Contain("was not given"));
    }

    [Test]
    public void WrongPreallocatedOutputIsRefused()
    {
        using var input = OrtValue.CreateTensor(Reference.Images[0].Input, [1, 3, 224, 224]);
        using var output = OrtValue.AllocateTensor<float>([1, 999]);
        var error = Assert.Throws<TensorMismatchException>(() => _session.Run(["input"], [input], ["output"], [output]));
        Assert.That(error!.Message, Does.StartWith("Output 'output'").And.Contain("dimension 1 must be 1000, got 999"));
        Assert.Throws<TensorMismatchException>(() => _session.Run(["input"], [input], ["logits"], [output]));
    }

    [Test]
    public void MismatchOnlyOrtCanSeeComesBackAsOrtException()
    {
        // Batch 2 in, a batch-1 output buffer: the symbolic batch dimension lets it through our checks, ORT refuses it.
        using var input = OrtValue.CreateTensor(Reference.StackInputs(2), [2, 3, 224, 224]);
        using var output = OrtValue.AllocateTensor<float>([1, Reference.Classes]);
        var error = Assert.Throws<OrtException>(() => _session.Run(["input"], [input], ["output"], [output]));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.NativeMessage, Is.Not.Empty);
        Assert.That(error.ErrorCode, Is.Not.EqualTo(OrtErrorCode.Ok));
    }

    [Test]
    public void DisposedInputIsRefused()
    {
        var input = OrtValue.CreateTensor(Reference.Images[0].Input, [1, 3, 224, 224]);
        input.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _session.Run("input", input));
    }

    [Test]
    public void BufferThatDoesNotMatchTheShapeIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => OrtValue.CreateTensor(new float[10], [1, 3, 224, 224]));
        Assert.That(error!.Message, Does.Contain("150528 elements").And.Contain("10"));
        Assert.Throws<ArgumentException>(() => OrtValue.CreateTensor(new float[4], [2, -1]));
    }
}
