namespace OnnxTransfer.Onnx;

public sealed partial class OnnxModel
{
    /// <summary>Structural problems of the model, each naming the node or tensor at fault; empty when it is valid.</summary>
    public IReadOnlyList<string> FindProblems() => ModelValidator.Check(this);

    /// <summary>
    /// Checks the graph's structure (topological order, every input defined, unique names, outputs produced, an opset for
    /// every domain) and throws <see cref="OnnxValidationException"/> listing every problem. <see cref="Save"/> calls it.
    /// </summary>
    public void Validate()
    {
        var problems = FindProblems();
        if (problems.Count > 0) throw new OnnxValidationException(problems);
    }
}
