using System.Text;
using System.Text.Json;
using OnnxTransfer.Features.Specs;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxTransfer.Formats;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// What a caller needs to know about a fused model, read from its <c>metadata_props</c> as ONNX Runtime reports them
/// (so the model is parsed once, by the session): labels, the preprocessing spec (or, for texts, the tokenizer),
/// fingerprints, the input.
/// </summary>
public sealed class FusedModelInfo
{
    private FusedModelInfo(string path, IReadOnlyList<string> labels, BackboneSpec spec, string inputName, int? fixedBatchSize,
        string? backboneFingerprintSha256, string? headSha256, string? inputScale, string? tokenizerJson, Composition.TestTimeAugmentation views)
    {
        TestTimeAugmentation = views;
        TokenizerJson = tokenizerJson;
        Path = path;
        Labels = labels;
        Spec = spec;
        InputName = inputName;
        FixedBatchSize = fixedBatchSize;
        BackboneFingerprintSha256 = backboneFingerprintSha256;
        HeadSha256 = headSha256;
        InputScale = inputScale;
    }

    public string Path { get; }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>How inputs are decoded and preprocessed before the model (with folded normalisation: only the scaling).</summary>
    public BackboneSpec Spec { get; }

    public string InputName { get; }

    public int? FixedBatchSize { get; }

    public string? BackboneFingerprintSha256 { get; }

    public string? HeadSha256 { get; }

    /// <summary><c>unit</c> or <c>byte</c> when normalisation is folded in; null when the caller normalises.</summary>
    public string? InputScale { get; }

    /// <summary>Text models: the tokenizer the model was composed with (<c>BertTokenizerJson</c>); null for image models.</summary>
    public string? TokenizerJson { get; }

    /// <summary>The views the graph averages (<c>compose --tta</c>); <see cref="Composition.TestTimeAugmentation.None"/> for a single-view model.</summary>
    public Composition.TestTimeAugmentation TestTimeAugmentation { get; }

    /// <summary>Whether the model classifies texts (its spec is a text backbone's).</summary>
    public bool IsText => Spec.Kind == BackboneKind.Text;

    /// <summary>The <c>ood_score</c> output and its threshold; null when the head was trained without --ood.</summary>
    public OodOutput? Ood { get; private init; }

    /// <summary>Reads the metadata of the model an open session holds.</summary>
    /// <exception cref="InferenceException">The model is not a fused model composed by OnnxTransfer.</exception>
    public static FusedModelInfo FromSession(string path, ModelSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var metadata = session.Session.ModelMetadata.CustomMetadataMap;
        var format = metadata.GetValueOrDefault(MetadataKeys.Format);
        if (format != ModelLayout.FusedFormat)
            throw new InferenceException(format == ModelLayout.HeadFormat
                ? $"'{path}' is a head, not a fused model: give the backbone spec and the head (--backbone SPEC --head {path}), or compose them with `onnxtransfer compose`."
                : $"'{path}' is not a fused model composed by OnnxTransfer (its {MetadataKeys.Format} is {(format is null ? "missing" : $"\"{format}\"")}). " +
                  "Compose one with `onnxtransfer compose --backbone SPEC --head head.onnx --out fused.onnx`.");
        var specJson = metadata.GetValueOrDefault(MetadataKeys.BackboneSpec)
                       ?? throw new InferenceException($"The fused model '{path}' has no {MetadataKeys.BackboneSpec} metadata, so its preprocessing is unknown; compose it again.");
        BackboneSpec spec;
        try { spec = BackboneSpecFile.Parse(Encoding.UTF8.GetBytes(specJson), System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, $"{path} ({MetadataKeys.BackboneSpec})"); }
        catch (BackboneSpecException e) { throw new InferenceException($"The fused model '{path}' carries an unreadable preprocessing spec: {e.Message}", e); }

        var labels = ParseLabels(metadata.GetValueOrDefault(MetadataKeys.Labels), path);
        var probabilities = session.Session.OutputMetadata.GetValueOrDefault(ModelLayout.ProbabilitiesOutput)
                            ?? throw new InferenceException($"The fused model '{path}' has no '{ModelLayout.ProbabilitiesOutput}' output; compose it again.");
        if (probabilities.IsTensor && probabilities.Dimensions is [_, var classes] && classes >= 0 && classes != labels.Length)
            throw new InferenceException($"The fused model '{path}' gives {classes} probabilities per input but names {labels.Length} labels.");

        var inputs = session.InputNames;
        var inputName = spec.InputName ?? (inputs.Count == 1 ? inputs[0]
            : throw new InferenceException($"The fused model '{path}' has {inputs.Count} inputs and its spec names none."));
        var input = session.Session.InputMetadata.GetValueOrDefault(inputName)
                    ?? throw new InferenceException($"The fused model '{path}' has no input '{inputName}' (its inputs: {string.Join(", ", inputs)}); compose it again.");
        int? fixedBatch = input.IsTensor && input.Dimensions.Length > 0 && input.Dimensions[0] > 0 ? input.Dimensions[0] : null;
        return new FusedModelInfo(System.IO.Path.GetFullPath(path), labels, spec, inputName, fixedBatch,
            metadata.GetValueOrDefault(MetadataKeys.BackboneFingerprintSha256), metadata.GetValueOrDefault(MetadataKeys.HeadSha256),
            metadata.GetValueOrDefault(MetadataKeys.InputScale), metadata.GetValueOrDefault(MetadataKeys.Tokenizer),
            Composition.TestTimeAugmentation.FromMetadata(metadata.GetValueOrDefault(MetadataKeys.TestTimeViews), metadata.GetValueOrDefault(MetadataKeys.TestTimeCombine), path))
        {
            Ood = OodOutput.Read(metadata.GetValueOrDefault, session.Session.OutputMetadata.ContainsKey(ModelLayout.OodScoreOutput), path),
        };
    }

    private static string[] ParseLabels(string? json, string path)
    {
        if (json is null) throw new InferenceException($"The fused model '{path}' has no {MetadataKeys.Labels} metadata; compose it again.");
        try
        {
            var labels = FormatsJson.ReadStringArray(json);
            if (labels.Length < 2) throw new JsonException("fewer than two labels");
            return labels;
        }
        catch (JsonException e)
        {
            throw new InferenceException($"The fused model '{path}': {MetadataKeys.Labels} is not a JSON array of labels ({e.Message}).", e);
        }
    }
}
