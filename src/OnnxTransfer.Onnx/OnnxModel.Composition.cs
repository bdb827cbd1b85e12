namespace OnnxTransfer.Onnx;

public sealed partial class OnnxModel
{
    /// <summary>
    /// Appends <paramref name="head"/> to this model (the backbone), in place: the head's input
    /// <paramref name="headInput"/> is replaced by this model's tensor <paramref name="connectFrom"/>; every other head
    /// tensor, node and initializer is renamed <paramref name="prefix"/> + name (the head's outputs keep their names
    /// unless <see cref="AppendOptions.KeepHeadOutputNames"/> is off); the head's outputs become the outputs, and
    /// backbone nodes that fed only the old outputs are removed. Opset imports merge as follows: a domain on one side is
    /// taken over; for the default domain the higher version is used if no operator of the lower side changed in
    /// between, otherwise (and for differing versions of other domains) the composition is refused with the fix. The IR
    /// version becomes the higher of the two; the head's metadata is copied in. The head model is not changed.
    /// </summary>
    /// <exception cref="OnnxModelException">Types or shapes do not connect, names collide, or opsets conflict.</exception>
    public void Append(OnnxModel head, string connectFrom, string headInput, string prefix = "head/", AppendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        GraphComposer.Append(this, head, connectFrom, headInput, prefix, options ?? AppendOptions.Default);
    }
}
