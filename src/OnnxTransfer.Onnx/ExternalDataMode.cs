namespace OnnxTransfer.Onnx;

/// <summary>What <see cref="OnnxModel.Save"/> does with tensors whose bytes live in external files.</summary>
public enum ExternalDataMode
{
    /// <summary>
    /// Keep the references as they are. Saving beside the source files needs nothing more; saving to another directory
    /// copies each referenced file to the same relative location there, so the saved model is complete.
    /// </summary>
    Keep,

    /// <summary>
    /// Write the external tensors the model still has into one new data file beside the model (by default
    /// "&lt;model file name&gt;.data", each tensor 4 KiB-aligned so runtimes can map it) and point them there. Drops the
    /// bytes of tensors that an edit such as <see cref="OnnxModel.CutAt"/> removed.
    /// </summary>
    Consolidate,

    /// <summary>Read all external data into the model file; refused if that would exceed the 2 GiB protobuf limit.</summary>
    Inline,
}
