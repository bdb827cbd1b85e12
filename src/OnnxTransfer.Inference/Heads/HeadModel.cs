using System.Security.Cryptography;
using System.Text.Json;
using OnnxTransfer.Features.Fingerprints;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Onnx;

namespace OnnxTransfer.Inference.Heads;

/// <summary>
/// A head ONNX file (docs/formats.md, "Head") read as data and checked: input <c>features</c> float [N, D], outputs
/// <c>probabilities</c> float [N, C] and <c>label_index</c> int64 [N], labels and the training cache's fingerprint in
/// <c>metadata_props</c>. Runs on any ONNX Runtime; the composer appends it to a backbone, the chained predictor runs it
/// as its own session.
/// </summary>
public sealed class HeadModel
{
    private HeadModel(OnnxModel model, string source, string sha256, string inputName, int inputDimension, IReadOnlyList<string> labels,
        BackboneFingerprint? cacheFingerprint, string? cacheFingerprintSha256)
    {
        Model = model;
        Source = source;
        Sha256 = sha256;
        InputName = inputName;
        InputDimension = inputDimension;
        Labels = labels;
        CacheFingerprint = cacheFingerprint;
        CacheFingerprintSha256 = cacheFingerprintSha256;
    }

    /// <summary>The head graph (callers that edit it should <see cref="OnnxModel.Clone"/> it first).</summary>
    public OnnxModel Model { get; }

    /// <summary>Where the head came from (file path, or a description).</summary>
    public string Source { get; }

    /// <summary>sha256 of the head's serialised bytes: identifies the head in a fused model and in score manifests.</summary>
    public string Sha256 { get; }

    /// <summary>The features input (normally <c>features</c>).</summary>
    public string InputName { get; }

    public int InputDimension { get; }

    /// <summary>Class labels; output column i is label i.</summary>
    public IReadOnlyList<string> Labels { get; }

    public int ClassCount => Labels.Count;

    /// <summary>The fingerprint of the cache the head was trained on; null when the head does not carry it (then only the dimension is checked).</summary>
    public BackboneFingerprint? CacheFingerprint { get; }

    /// <summary>The cache fingerprint's sha256 as written in the head (present even when the JSON is not).</summary>
    public string? CacheFingerprintSha256 { get; }

    /// <summary>
    /// The numerics (provider, precision) of the cache the head was trained on; empty when the head does not carry them
    /// (exported before they were recorded, or trained on embeddings of another tool).
    /// </summary>
    public IReadOnlyList<EmbeddingNumerics> CacheNumerics => ReadCacheNumerics(Model);

    /// <summary>Reads and checks a head file.</summary>
    /// <exception cref="HeadFormatException">The file is not a head in the documented format.</exception>
    public static HeadModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException($"Head '{full}' does not exist: name the head.onnx that `onnxtransfer train` wrote.", full);
        var bytes = File.ReadAllBytes(full);
        OnnxModel model;
        try { model = OnnxModel.Load(bytes, Path.GetDirectoryName(full)); }
        catch (OnnxModelException e) { throw new HeadFormatException($"Head '{full}' is not an ONNX model: {e.Message}", e); }
        return FromModel(model, full, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>Checks a head held in memory (e.g. just exported); <paramref name="sha256"/> defaults to that of its bytes.</summary>
    public static HeadModel FromModel(OnnxModel model, string source = "head", string? sha256 = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        sha256 ??= Convert.ToHexStringLower(SHA256.HashData(model.ToBytes()));
        var format = model.GetMetadata(ModelMetadataKeys.Format);
        if (format is not null && format != ModelMetadataKeys.HeadFormat)
            throw new HeadFormatException(format == ModelMetadataKeys.FusedFormat
                ? $"'{source}' is a fused model (backbone and head), not a head: use it with --model, or give the head.onnx it was composed from."
                : $"'{source}' has {ModelMetadataKeys.Format} = \"{format}\"; a head has \"{ModelMetadataKeys.HeadFormat}\". Give the head.onnx that `onnxtransfer train` wrote.");

        var realInputs = model.Inputs.Where(i => model.Initializers.All(t => t.Name != i.Name)).ToList();
        if (realInputs.Count != 1)
            throw new HeadFormatException($"Head '{source}' has {realInputs.Count} inputs ({string.Join(", ", realInputs)}); a head takes exactly one, the features [N, D].");
        var input = realInputs[0];
        if (input.ElementType != OnnxDataType.Float || input.Shape is not { Rank: 2 } shape || shape[1].Value is not { } dim || dim < 1)
            throw new HeadFormatException($"Head '{source}' takes {input}; a head takes float features [N, D] with a fixed D.");

        foreach (var (name, type) in new[] { (ModelMetadataKeys.ProbabilitiesOutput, OnnxDataType.Float), (ModelMetadataKeys.LabelIndexOutput, OnnxDataType.Int64) })
        {
            var output = model.Outputs.FirstOrDefault(o => o.Name == name)
                         ?? throw new HeadFormatException($"Head '{source}' has no output '{name}' (its outputs: {string.Join(", ", model.Outputs.Select(o => o.Name))}); " +
                                                          "heads exported by OnnxTransfer have 'probabilities' and 'label_index'.");
            if (output.ElementType != type)
                throw new HeadFormatException($"Head '{source}': output '{name}' is {output.ElementType.DisplayName()}, expected {type.DisplayName()}.");
        }

        var labels = ReadLabels(model, source);
        var probabilities = model.Outputs.First(o => o.Name == ModelMetadataKeys.ProbabilitiesOutput);
        if (probabilities.Shape is { Rank: 2 } p && p[1].Value is { } classes && classes != labels.Length)
            throw new HeadFormatException($"Head '{source}' gives {classes} probabilities per row but names {labels.Length} labels.");

        BackboneFingerprint? fingerprint = null;
        var fingerprintJson = model.GetMetadata(ModelMetadataKeys.CacheFingerprint);
        if (fingerprintJson is not null)
        {
            try { fingerprint = BackboneFingerprint.Parse(fingerprintJson); }
            catch (FormatException e) { throw new HeadFormatException($"Head '{source}': {ModelMetadataKeys.CacheFingerprint} is not a fingerprint ({e.Message}).", e); }
        }
        var fingerprintSha = model.GetMetadata(ModelMetadataKeys.CacheFingerprintSha256) ?? fingerprint?.Sha256;
        if (fingerprint is not null && fingerprintSha is not null && !string.Equals(fingerprint.Sha256, fingerprintSha, StringComparison.OrdinalIgnoreCase))
            throw new HeadFormatException($"Head '{source}': {ModelMetadataKeys.CacheFingerprintSha256} ({fingerprintSha}) is not the sha256 of " +
                                          $"{ModelMetadataKeys.CacheFingerprint} ({fingerprint.Sha256}); the head's metadata was edited. Export it again.");
        return new HeadModel(model, source, sha256, input.Name, checked((int)dim), labels, fingerprint, fingerprintSha?.ToLowerInvariant());
    }

    private static EmbeddingNumerics[] ReadCacheNumerics(OnnxModel model)
    {
        var json = model.GetMetadata(ModelMetadataKeys.CacheNumerics);
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

    private static string[] ReadLabels(OnnxModel model, string source)
    {
        var json = model.GetMetadata(ModelMetadataKeys.Labels)
                   ?? throw new HeadFormatException($"Head '{source}' has no {ModelMetadataKeys.Labels} metadata: predictions could not be named. Export the head with OnnxTransfer.");
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array) throw new JsonException("not an array");
            var labels = new string[document.RootElement.GetArrayLength()];
            var i = 0;
            foreach (var element in document.RootElement.EnumerateArray())
                labels[i++] = element.ValueKind == JsonValueKind.String ? element.GetString()! : throw new JsonException($"element {i} is not a string");
            if (labels.Length < 2) throw new JsonException($"{labels.Length} label(s); a classifier has at least two");
            if (labels.Distinct(StringComparer.Ordinal).Count() != labels.Length) throw new JsonException("labels repeat");
            return labels;
        }
        catch (JsonException e)
        {
            throw new HeadFormatException($"Head '{source}': {ModelMetadataKeys.Labels} must be a JSON array of distinct label strings ({e.Message}).", e);
        }
    }
}
