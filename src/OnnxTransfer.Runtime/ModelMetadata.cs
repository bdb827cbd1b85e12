namespace OnnxTransfer.Runtime;

/// <summary>The model-level fields of an ONNX file as ONNX Runtime reads them.</summary>
/// <param name="ProducerName">The tool that wrote the model, e.g. "pytorch".</param>
/// <param name="GraphName">The name of the main graph.</param>
/// <param name="GraphDescription">The graph's doc string.</param>
/// <param name="Domain">The model's domain.</param>
/// <param name="Description">The model's doc string.</param>
/// <param name="Version">The model version (<c>model_version</c>), or null when the model sets none.</param>
/// <param name="CustomMetadata">The <c>metadata_props</c> key/value pairs (labels, fingerprints, settings).</param>
public sealed record ModelMetadata(
    string ProducerName,
    string GraphName,
    string GraphDescription,
    string Domain,
    string Description,
    long? Version,
    IReadOnlyDictionary<string, string> CustomMetadata);
