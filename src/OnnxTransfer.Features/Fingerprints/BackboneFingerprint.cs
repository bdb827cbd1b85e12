using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Imaging;
using OnnxTransfer.Text.Normalization;

namespace OnnxTransfer.Features.Fingerprints;

/// <summary>One field on which two fingerprints disagree (values as JSON text; null when the field is absent on that side).</summary>
public sealed record FingerprintDifference(string Field, string? Expected, string? Actual)
{
    public override string ToString() => $"{Field}: {Expected ?? "(absent)"} ≠ {Actual ?? "(absent)"}";
}

/// <summary>
/// What determines an embedding's values: model sha256, feature tensor, pooling, L2 normalisation, preprocessing (with
/// the version of its implementation), dimension and dtype — as canonical JSON, and its sha256, which identifies a
/// cache. The tool version is deliberately left out: a new OnnxTransfer that computes the same values keeps using the
/// same cache.
/// </summary>
public sealed class BackboneFingerprint : IEquatable<BackboneFingerprint>
{
    /// <summary>The element type of every embedding the pipeline writes.</summary>
    public const string Float32 = "float32";

    private BackboneFingerprint(string canonicalJson)
    {
        Json = canonicalJson;
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJson)));
        using var document = JsonDocument.Parse(canonicalJson);
        var root = document.RootElement;
        Dimension = root.TryGetProperty("dim", out var dim) && dim.TryGetInt32(out var d) ? d : 0;
        DataType = root.TryGetProperty("dtype", out var dtype) ? dtype.GetString() ?? "" : "";
        ModelSha256 = root.TryGetProperty("model_sha256", out var model) ? model.GetString() ?? "" : "";
    }

    /// <summary>The canonical JSON text (keys sorted, no spaces).</summary>
    public string Json { get; }

    /// <summary>sha256 of <see cref="Json"/> (lower-case hex).</summary>
    public string Sha256 { get; }

    /// <summary>Floats per embedding.</summary>
    public int Dimension { get; }

    public string DataType { get; }

    public string ModelSha256 { get; }

    /// <summary>The fingerprint of an image backbone.</summary>
    public static BackboneFingerprint ForImage(string modelSha256, string featureTensor, FeatureSpec features, ImageInputSpec spec,
        TensorLayout layout, int dimension)
    {
        var (image, decoding) = (spec.Preprocess, spec.Decoding);
        ArgumentException.ThrowIfNullOrEmpty(modelSha256);
        ArgumentException.ThrowIfNullOrEmpty(featureTensor);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        var preprocessing = CanonicalJson.Object();
        preprocessing["implementation"] = PreprocessingVersions.Image;
        preprocessing["recipe"] = SpecNames.Of(image.Mode);
        // The resize target only matters to the recipe that uses it; leaving it out elsewhere keeps equal recipes equal.
        if (image.Mode == ResizeMode.ShorterSideThenCenterCrop) preprocessing["resize"] = image.ResizeShorterSide;
        preprocessing["width"] = image.Width;
        preprocessing["height"] = image.Height;
        preprocessing["filter"] = SpecNames.Of(image.Filter);
        preprocessing["scale"] = SpecNames.Of(image.Scale);
        preprocessing["mean"] = new[] { image.Mean.R, image.Mean.G, image.Mean.B };
        preprocessing["std"] = new[] { image.Std.R, image.Std.G, image.Std.B };
        preprocessing["channels"] = SpecNames.Of(image.ChannelOrder);
        preprocessing["layout"] = SpecNames.Of(layout);
        preprocessing["alpha"] = SpecNames.Of(decoding.Alpha);
        if (decoding.Alpha == AlphaHandling.Flatten) preprocessing["background"] = Color(decoding.Background);
        preprocessing["pad"] = Color(image.PadColor);
        preprocessing["auto_rotate"] = decoding.AutoRotate;
        preprocessing["shrink_on_load"] = decoding.ShrinkOnLoad;

        var root = Common(BackboneKind.Image, modelSha256, featureTensor, features, dimension);
        root["preprocessing"] = preprocessing;
        return new BackboneFingerprint(CanonicalJson.Write(root));
    }

    /// <summary>
    /// The fingerprint of a text backbone: the tokenizer is identified by its vocabulary's sha256 (the tokens in id
    /// order, one per line — vocab.txt's own hash) and the normaliser switches that change tokens.
    /// </summary>
    public static BackboneFingerprint ForText(string modelSha256, string featureTensor, FeatureSpec features, TextInputSpec text,
        string vocabularySha256, BertNormalizerOptions normalizer, int dimension)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelSha256);
        ArgumentException.ThrowIfNullOrEmpty(featureTensor);
        ArgumentException.ThrowIfNullOrEmpty(vocabularySha256);
        ArgumentNullException.ThrowIfNull(normalizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        var tokenizer = CanonicalJson.Object();
        tokenizer["implementation"] = PreprocessingVersions.Text;
        tokenizer["vocabulary_sha256"] = vocabularySha256;
        tokenizer["lower_case"] = text.LowerCase;
        tokenizer["strip_accents"] = normalizer.StripsAccents;
        tokenizer["clean_text"] = normalizer.CleanText;
        tokenizer["chinese_chars"] = normalizer.HandleChineseChars;
        tokenizer["max_length"] = text.MaxLength;
        tokenizer["pooling"] = SpecNames.Of(text.Pooling);
        if (text.PooledOutput is not null) tokenizer["pooled_output"] = text.PooledOutput;
        var root = Common(BackboneKind.Text, modelSha256, featureTensor, features, dimension);
        root["tokenizer"] = tokenizer;
        return new BackboneFingerprint(CanonicalJson.Write(root));
    }

    /// <summary>Reads a fingerprint from JSON (any key order or spacing).</summary>
    /// <exception cref="FormatException">The text is not a JSON object.</exception>
    public static BackboneFingerprint Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using (var document = JsonDocument.Parse(json))
                if (document.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException("A fingerprint is a JSON object.");
            return new BackboneFingerprint(CanonicalJson.Normalize(json));
        }
        catch (JsonException e)
        {
            throw new FormatException($"Not a fingerprint (invalid JSON: {e.Message}).", e);
        }
    }

    /// <summary>The fields whose values differ (this = expected, <paramref name="other"/> = actual), sorted by field.</summary>
    public IReadOnlyList<FingerprintDifference> Differences(BackboneFingerprint other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var mine = CanonicalJson.Flatten(Json);
        var theirs = CanonicalJson.Flatten(other.Json);
        var differences = new List<FingerprintDifference>();
        foreach (var field in mine.Keys.Union(theirs.Keys).Order(StringComparer.Ordinal))
        {
            var a = mine.GetValueOrDefault(field);
            var b = theirs.GetValueOrDefault(field);
            if (!string.Equals(a, b, StringComparison.Ordinal)) differences.Add(new FingerprintDifference(field, a, b));
        }
        return differences;
    }

    public bool Equals(BackboneFingerprint? other) => other is not null && string.Equals(Json, other.Json, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as BackboneFingerprint);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Sha256);

    public override string ToString() => Json;

    private static SortedDictionary<string, object?> Common(BackboneKind kind, string modelSha256, string featureTensor, FeatureSpec features, int dimension)
    {
        var feature = CanonicalJson.Object();
        feature["tensor"] = featureTensor;
        feature["pooling"] = SpecNames.Of(features.Pooling);
        feature["l2_normalize"] = features.L2Normalize;
        var root = CanonicalJson.Object();
        root["kind"] = SpecNames.Of(kind);
        root["model_sha256"] = modelSha256;
        root["features"] = feature;
        root["dim"] = dimension;
        root["dtype"] = Float32;
        return root;
    }

    private static float[] Color(RgbColor c) => [c.R, c.G, c.B];
}
