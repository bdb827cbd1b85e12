using System.Security.Cryptography;
using System.Text.Json;
using OnnxTransfer.Onnx;

namespace OnnxTransfer.Formats;

/// <summary>
/// The one reader of head files (docs/formats.md, "Head"): the graph, its sha256 and its typed metadata, checked —
/// input <c>features</c> float [N, D], outputs <c>probabilities</c> float [N, C] and <c>label_index</c> int64, distinct
/// labels that match C, a parseable cache fingerprint. The trainer rebuilds a head from it (<see cref="Structure"/> and
/// the initializers); inference composes or runs it.
/// </summary>
public sealed class HeadOnnxFile
{
    private HeadOnnxFile(OnnxModel model, string source, string sha256, TensorInfo input, int inputDimension, string[] labels)
    {
        Model = model;
        Source = source;
        Sha256 = sha256;
        InputName = input.Name;
        InputDimension = inputDimension;
        Labels = labels;
    }

    /// <summary>The head graph (callers that edit it should <see cref="OnnxModel.Clone"/> it first).</summary>
    public OnnxModel Model { get; }

    /// <summary>Where the head came from (full file path, or a description).</summary>
    public string Source { get; }

    /// <summary>sha256 of the head's serialised bytes: identifies the head in a fused model and in score manifests.</summary>
    public string Sha256 { get; }

    /// <summary>The features input (normally <c>features</c>).</summary>
    public string InputName { get; }

    public int InputDimension { get; }

    /// <summary>Class labels; output column i is label i.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary><c>head/1</c>; null for a head written by another tool (it then carries at least the labels).</summary>
    public string? Format => Model.GetMetadata(MetadataKeys.Format);

    /// <summary>The fingerprint of the cache the head was trained on; null when the head does not carry its JSON.</summary>
    public BackboneFingerprint? CacheFingerprint { get; private init; }

    /// <summary>The cache fingerprint's sha256 as written in the head (present even when the JSON is not), lower-case.</summary>
    public string? CacheFingerprintSha256 { get; private init; }

    /// <summary>True when the stored sha256 is not that of the stored fingerprint JSON: the metadata was edited.</summary>
    public bool CacheFingerprintEdited =>
        CacheFingerprint is not null && CacheFingerprintSha256 is not null && !string.Equals(CacheFingerprint.Sha256, CacheFingerprintSha256, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The numerics (provider, precision) of the cache the head was trained on; empty when the head does not carry them
    /// (exported before they were recorded, or trained on embeddings of another tool).
    /// </summary>
    public IReadOnlyList<EmbeddingNumerics> CacheNumerics => ReadCacheNumerics(Model.GetMetadata(MetadataKeys.CacheNumerics));

    /// <summary>The <see cref="MetadataKeys.Metrics"/> JSON as written at training time ("{}" when absent).</summary>
    public string MetricsJson => Model.GetMetadata(MetadataKeys.Metrics) ?? "{}";

    /// <summary>The <see cref="MetadataKeys.Head"/> JSON the trainer rebuilds the head from; null for heads of other tools.</summary>
    public string? Structure => Model.GetMetadata(MetadataKeys.Head);

    /// <summary>Reads and checks a head file.</summary>
    /// <exception cref="FileNotFoundException">No file.</exception>
    /// <exception cref="FormatException">The file is not a head in the documented format (the message says why).</exception>
    public static HeadOnnxFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException($"Head '{full}' does not exist: name the head.onnx that `onnxtransfer train` wrote.", full);
        var bytes = File.ReadAllBytes(full);
        OnnxModel model;
        try { model = OnnxModel.Load(bytes, Path.GetDirectoryName(full)); }
        catch (OnnxModelException e) { throw new FormatException($"Head '{full}' is not an ONNX model: {e.Message}", e); }
        return Read(model, full, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>Checks a head held in memory (e.g. just exported); <paramref name="sha256"/> defaults to that of its bytes.</summary>
    /// <exception cref="FormatException">The model is not a head in the documented format (the message says why).</exception>
    public static HeadOnnxFile Read(OnnxModel model, string source = "head", string? sha256 = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckFormat(model, source);
        sha256 ??= Convert.ToHexStringLower(SHA256.HashData(model.ToBytes()));

        var realInputs = model.Inputs.Where(i => model.Initializers.All(t => t.Name != i.Name)).ToList();
        if (realInputs.Count != 1)
            throw new FormatException($"Head '{source}' has {realInputs.Count} inputs ({string.Join(", ", realInputs)}); a head takes exactly one, the features [N, D].");
        var input = realInputs[0];
        if (input.ElementType != OnnxDataType.Float || input.Shape is not { Rank: 2 } shape || shape[1].Value is not { } dim || dim < 1)
            throw new FormatException($"Head '{source}' takes {input}; a head takes float features [N, D] with a fixed D.");

        foreach (var (name, type) in new[] { (ModelLayout.ProbabilitiesOutput, OnnxDataType.Float), (ModelLayout.LabelIndexOutput, OnnxDataType.Int64) })
        {
            var output = model.Outputs.FirstOrDefault(o => o.Name == name)
                         ?? throw new FormatException($"Head '{source}' has no output '{name}' (its outputs: {string.Join(", ", model.Outputs.Select(o => o.Name))}); " +
                                                      "heads exported by OnnxTransfer have 'probabilities' and 'label_index'.");
            if (output.ElementType != type)
                throw new FormatException($"Head '{source}': output '{name}' is {output.ElementType.DisplayName()}, expected {type.DisplayName()}.");
        }

        var labels = ReadLabels(model, source);
        var probabilities = model.Outputs.First(o => o.Name == ModelLayout.ProbabilitiesOutput);
        if (probabilities.Shape is { Rank: 2 } p && p[1].Value is { } classes && classes != labels.Length)
            throw new FormatException($"Head '{source}' does not describe a valid head: it gives {classes} probabilities per row but names {labels.Length} labels.");

        BackboneFingerprint? fingerprint = null;
        if (model.GetMetadata(MetadataKeys.CacheFingerprint) is { } fingerprintJson)
        {
            try { fingerprint = BackboneFingerprint.Parse(fingerprintJson); }
            catch (FormatException e) { throw new FormatException($"Head '{source}': {MetadataKeys.CacheFingerprint} is not a fingerprint ({e.Message}).", e); }
        }
        var fingerprintSha = model.GetMetadata(MetadataKeys.CacheFingerprintSha256) ?? fingerprint?.Sha256;
        return new HeadOnnxFile(model, source, sha256, input, checked((int)dim), labels)
        {
            CacheFingerprint = fingerprint,
            CacheFingerprintSha256 = fingerprintSha?.ToLowerInvariant(),
        };
    }

    /// <summary>A head says <c>head/1</c>, or (written by another tool) nothing but carries labels; fused models and newer heads are named as such.</summary>
    private static void CheckFormat(OnnxModel model, string source)
    {
        var format = model.GetMetadata(MetadataKeys.Format);
        if (format is null && model.GetMetadata(MetadataKeys.Labels) is null)
            throw new FormatException(
                $"'{source}' is not an OnnxTransfer head: it has no '{MetadataKeys.Format}' metadata. Heads are written by `onnxtransfer train --out head.onnx`.");
        if (format is null || format == ModelLayout.HeadFormat) return;
        throw new FormatException(format switch
        {
            ModelLayout.FusedFormat => $"'{source}' is a fused model (backbone and head), not a head: use it with --model, or give the head.onnx it was composed from.",
            _ when format.StartsWith("head/", StringComparison.Ordinal) =>
                $"'{source}' is a '{format}' head, written by a newer OnnxTransfer; this version reads '{ModelLayout.HeadFormat}'. Upgrade OnnxTransfer.",
            _ => $"'{source}' has {MetadataKeys.Format} = \"{format}\"; a head has \"{ModelLayout.HeadFormat}\". Give the head.onnx that `onnxtransfer train` wrote.",
        });
    }

    private static string[] ReadLabels(OnnxModel model, string source)
    {
        var json = model.GetMetadata(MetadataKeys.Labels)
                   ?? throw new FormatException($"Head '{source}' has no {MetadataKeys.Labels} metadata: predictions could not be named. Export the head with OnnxTransfer.");
        try
        {
            var labels = FormatsJson.ReadStringArray(json);
            if (labels.Length < 2) throw new JsonException($"{labels.Length} label(s); a classifier has at least two");
            if (labels.Distinct(StringComparer.Ordinal).Count() != labels.Length) throw new JsonException("labels repeat");
            return labels;
        }
        catch (JsonException e)
        {
            throw new FormatException($"Head '{source}': {MetadataKeys.Labels} must be a JSON array of distinct label strings ({e.Message}).", e);
        }
    }

    private static EmbeddingNumerics[] ReadCacheNumerics(string? json)
    {
        if (json is null) return [];
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Array
                ? document.RootElement.EnumerateArray().Select(EmbeddingNumerics.FromJson).ToArray()
                : [EmbeddingNumerics.Unknown];
        }
        catch (JsonException) { return [EmbeddingNumerics.Unknown]; }
    }
}
