using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;
using OnnxTransfer.Text.Normalization;

namespace OnnxTransfer.Features.Fingerprints;

/// <summary>
/// What goes into a backbone's fingerprint (<see cref="BackboneFingerprint"/>, defined in <c>OnnxTransfer.Formats</c>):
/// the fields of image and text backbones, read from their specs. Extension members, so callers write
/// <c>BackboneFingerprint.ForImage(…)</c>; they live here because they read the backbone specs the format does not know.
/// </summary>
public static class BackboneFingerprintRecipes
{
    extension(BackboneFingerprint)
    {
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
            return BackboneFingerprint.FromCanonical(root);
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
            return BackboneFingerprint.FromCanonical(root);
        }
    }

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
        root["dtype"] = BackboneFingerprint.Float32;
        return root;
    }

    private static float[] Color(RgbColor c) => [c.R, c.G, c.B];
}
