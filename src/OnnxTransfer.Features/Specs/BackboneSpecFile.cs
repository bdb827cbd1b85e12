using System.Text;
using System.Text.Json;
using OnnxTransfer.Imaging;

namespace OnnxTransfer.Features.Specs;

/// <summary>
/// Reads and writes backbone spec files (JSON, format <c>onnxtransfer.backbone</c> version 1). Reading is strict: an
/// unknown field, a wrong type or a value out of range is refused with the field's path and the fix.
/// </summary>
public static class BackboneSpecFile
{
    private static readonly string[] TopFields = ["format", "version", "name", "kind", "description", "model", "input", "image", "text", "features"];
    private static readonly string[] ModelFields = ["path", "sha256"];
    private static readonly string[] InputFields = ["name", "layout"];
    private static readonly string[] ImageFields =
        ["recipe", "resize", "width", "height", "filter", "scale", "mean", "std", "channels", "alpha", "background", "pad", "auto_rotate", "shrink_on_load"];
    private static readonly string[] TextFields = ["tokenizer", "lower_case", "max_length", "pooling", "pooled_output"];
    private static readonly string[] FeatureFields = ["tensor", "pooling", "l2_normalize"];

    /// <summary>Reads a spec file; relative paths in it are resolved against its folder.</summary>
    /// <exception cref="BackboneSpecException">Missing file, invalid JSON, unknown field or invalid value.</exception>
    public static BackboneSpec Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new BackboneSpecException($"Backbone spec '{full}' is a folder; name the *.backbone.json file (onnx-models/ has examples).");
        if (!File.Exists(full))
            throw new BackboneSpecException(
                $"Backbone spec '{full}' does not exist. Write one with `onnxtransfer backbone init MODEL --out SPEC`, or use one from onnx-models/.");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackboneSpecException($"Backbone spec '{full}' cannot be read ({e.Message}).", e);
        }
        return Parse(bytes, Path.GetDirectoryName(full)!, full);
    }

    /// <summary>Parses spec JSON; <paramref name="baseDirectory"/> is where relative paths start.</summary>
    public static BackboneSpec Parse(ReadOnlySpan<byte> json, string baseDirectory, string source = "backbone spec")
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new BackboneSpecException($"{source} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message}). Fix the file.", e);
        }
        using (document)
        {
            var root = new StrictJsonObject(document.RootElement, "", source);
            root.RefuseUnknown(TopFields);
            var format = root.OptionalString("format");
            if (format is not null && format != BackboneSpec.FormatName)
                throw root.Error($"\"format\" is \"{format}\"; a backbone spec has \"{BackboneSpec.FormatName}\".");
            var version = root.OptionalInt("version", 1, int.MaxValue) ?? BackboneSpec.FormatVersion;
            if (version > BackboneSpec.FormatVersion)
                throw root.Error($"the spec is version {version}, newer than this OnnxTransfer understands ({BackboneSpec.FormatVersion}): update OnnxTransfer.");

            var kind = SpecNames.Kind(root.OptionalString("kind") ?? "image", "\"kind\"");
            var model = root.RequiredObject("model");
            model.RefuseUnknown(ModelFields);
            var sha = model.OptionalString("sha256");
            if (sha is not null && !IsSha256(sha))
                throw model.Error($"\"model.sha256\" is \"{sha}\"; it must be 64 hexadecimal digits (sha256sum MODEL prints it), or null to not pin the file.");

            var input = root.OptionalObject("input");
            input?.RefuseUnknown(InputFields);
            var layout = SpecNames.Layout(input?.OptionalString("layout") ?? "NCHW", "\"input.layout\"");

            var image = root.OptionalObject("image");
            var text = root.OptionalObject("text");
            if (kind == BackboneKind.Image && text is not null)
                throw root.Error("an image backbone has an \"image\" section, not \"text\": remove \"text\" or set \"kind\": \"text\".");
            if (kind == BackboneKind.Text && image is not null)
                throw root.Error("a text backbone has a \"text\" section, not \"image\": remove \"image\" or set \"kind\": \"image\".");
            if (kind == BackboneKind.Text && text is null)
                throw root.Error("a text backbone needs a \"text\" section (tokenizer, lower_case, max_length, pooling).");

            var features = root.OptionalObject("features");
            features?.RefuseUnknown(FeatureFields);

            return new BackboneSpec
            {
                Name = root.RequiredString("name"),
                Kind = kind,
                Description = root.OptionalString("description"),
                ModelPath = model.RequiredString("path"),
                ModelSha256 = sha?.ToLowerInvariant(),
                InputName = input?.OptionalString("name"),
                Layout = layout,
                Image = kind == BackboneKind.Image ? ReadImage(image) : null,
                Text = text is null ? null : ReadText(text),
                Features = new FeatureSpec(
                    features?.OptionalString("tensor") ?? FeatureSpec.Auto,
                    SpecNames.Pooling(features?.OptionalString("pooling") ?? "none", "\"features.pooling\""),
                    features?.OptionalBool("l2_normalize") ?? false),
                BaseDirectory = Path.GetFullPath(baseDirectory),
            };
        }
    }

    private static ImageInputSpec ReadImage(StrictJsonObject? image)
    {
        if (image is null) return new ImageInputSpec();
        var (preprocess, decoding) = (PreprocessSettings.ImageNet, new ImageDecoderOptions());
        image.RefuseUnknown(ImageFields);
        const int largest = 16384;
        var mean = image.OptionalNumbers("mean", 3);
        var std = image.OptionalNumbers("std", 3);
        if (std is not null && Array.Exists(std, s => s == 0f))
            throw image.Error("\"image.std\" has a 0; std values divide, so they must be non-zero ([1, 1, 1] for none).");
        return new ImageInputSpec
        {
            Preprocess = new PreprocessSettings
            {
                Mode = SpecNames.Recipe(image.OptionalString("recipe") ?? SpecNames.Of(preprocess.Mode), "\"image.recipe\""),
                ResizeShorterSide = image.OptionalInt("resize", 1, largest) ?? preprocess.ResizeShorterSide,
                Width = image.OptionalInt("width", 1, largest) ?? preprocess.Width,
                Height = image.OptionalInt("height", 1, largest) ?? preprocess.Height,
                Filter = SpecNames.Filter(image.OptionalString("filter") ?? SpecNames.Of(preprocess.Filter), "\"image.filter\""),
                Scale = SpecNames.Scale(image.OptionalString("scale") ?? SpecNames.Of(preprocess.Scale), "\"image.scale\""),
                Mean = mean is null ? preprocess.Mean : new ChannelValues(mean[0], mean[1], mean[2]),
                Std = std is null ? preprocess.Std : new ChannelValues(std[0], std[1], std[2]),
                ChannelOrder = SpecNames.Channels(image.OptionalString("channels") ?? SpecNames.Of(preprocess.ChannelOrder), "\"image.channels\""),
                PadColor = Color(image, "pad") ?? preprocess.PadColor,
            },
            Decoding = new ImageDecoderOptions
            {
                Alpha = SpecNames.Alpha(image.OptionalString("alpha") ?? SpecNames.Of(decoding.Alpha), "\"image.alpha\""),
                Background = Color(image, "background") ?? decoding.Background,
                AutoRotate = image.OptionalBool("auto_rotate") ?? decoding.AutoRotate,
                ShrinkOnLoad = image.OptionalBool("shrink_on_load") ?? decoding.ShrinkOnLoad,
            },
        };
    }

    private static RgbColor? Color(StrictJsonObject image, string name)
    {
        var values = image.OptionalNumbers(name, 3);
        if (values is null) return null;
        foreach (var v in values)
            if (v is < 0 or > 255 || v != MathF.Floor(v))
                throw image.Error($"\"image.{name}\" must be three whole numbers 0–255 (R, G, B).");
        return new RgbColor((byte)values[0], (byte)values[1], (byte)values[2]);
    }

    private static TextInputSpec ReadText(StrictJsonObject text)
    {
        text.RefuseUnknown(TextFields);
        var pooling = SpecNames.TextPoolingNamed(text.OptionalString("pooling") ?? "mean", "\"text.pooling\"");
        var pooledOutput = text.OptionalString("pooled_output");
        if (pooling == TextPooling.PooledOutput && string.IsNullOrEmpty(pooledOutput))
            throw text.Error("\"text.pooling\" is \"pooled-output\": name the model output in \"text.pooled_output\" (e.g. \"pooler_output\").");
        return new TextInputSpec
        {
            Tokenizer = text.RequiredString("tokenizer"),
            LowerCase = text.OptionalBool("lower_case") ?? true,
            MaxLength = text.OptionalInt("max_length", 2, 1 << 16) ?? 128,
            Pooling = pooling,
            PooledOutput = pooledOutput,
        };
    }

    internal static bool IsSha256(string value) => value.Length == 64 && value.All(char.IsAsciiHexDigit);

    /// <summary>The spec as indented JSON (every field written, defaults included, so the file says everything).</summary>
    public static string ToJson(BackboneSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", BackboneSpec.FormatName);
            w.WriteNumber("version", BackboneSpec.FormatVersion);
            w.WriteString("name", spec.Name);
            w.WriteString("kind", SpecNames.Of(spec.Kind));
            if (spec.Description is not null) w.WriteString("description", spec.Description);
            w.WriteStartObject("model");
            w.WriteString("path", spec.ModelPath);
            if (spec.ModelSha256 is null) w.WriteNull("sha256"); else w.WriteString("sha256", spec.ModelSha256);
            w.WriteEndObject();
            w.WriteStartObject("input");
            if (spec.InputName is null) w.WriteNull("name"); else w.WriteString("name", spec.InputName);
            w.WriteString("layout", SpecNames.Of(spec.Layout));
            w.WriteEndObject();
            if (spec.Image is { } image) WriteImage(w, image);
            if (spec.Text is { } text) WriteText(w, text);
            w.WriteStartObject("features");
            w.WriteString("tensor", spec.Features.Tensor);
            w.WriteString("pooling", SpecNames.Of(spec.Features.Pooling));
            w.WriteBoolean("l2_normalize", spec.Features.L2Normalize);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    /// <summary>Writes the spec to <paramref name="path"/> (through a temporary file, so a crash leaves no half spec).</summary>
    public static void Save(BackboneSpec spec, string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temporary, ToJson(spec), new UTF8Encoding(false));
        File.Move(temporary, full, overwrite: true);
    }

    private static void WriteImage(Utf8JsonWriter w, ImageInputSpec spec)
    {
        var (image, decoding) = (spec.Preprocess, spec.Decoding);
        w.WriteStartObject("image");
        w.WriteString("recipe", SpecNames.Of(image.Mode));
        w.WriteNumber("resize", image.ResizeShorterSide);
        w.WriteNumber("width", image.Width);
        w.WriteNumber("height", image.Height);
        w.WriteString("filter", SpecNames.Of(image.Filter));
        w.WriteString("scale", SpecNames.Of(image.Scale));
        WriteTriple(w, "mean", image.Mean.R, image.Mean.G, image.Mean.B);
        WriteTriple(w, "std", image.Std.R, image.Std.G, image.Std.B);
        w.WriteString("channels", SpecNames.Of(image.ChannelOrder));
        w.WriteString("alpha", SpecNames.Of(decoding.Alpha));
        if (decoding.Alpha == AlphaHandling.Flatten) WriteTriple(w, "background", decoding.Background.R, decoding.Background.G, decoding.Background.B);
        if (image.PadColor != RgbColor.Black) WriteTriple(w, "pad", image.PadColor.R, image.PadColor.G, image.PadColor.B);
        w.WriteBoolean("auto_rotate", decoding.AutoRotate);
        w.WriteBoolean("shrink_on_load", decoding.ShrinkOnLoad);
        w.WriteEndObject();
    }

    private static void WriteText(Utf8JsonWriter w, TextInputSpec text)
    {
        w.WriteStartObject("text");
        w.WriteString("tokenizer", text.Tokenizer);
        w.WriteBoolean("lower_case", text.LowerCase);
        w.WriteNumber("max_length", text.MaxLength);
        w.WriteString("pooling", SpecNames.Of(text.Pooling));
        if (text.PooledOutput is not null) w.WriteString("pooled_output", text.PooledOutput);
        w.WriteEndObject();
    }

    private static void WriteTriple(Utf8JsonWriter w, string name, float a, float b, float c)
    {
        w.WriteStartArray(name);
        w.WriteNumberValue(a);
        w.WriteNumberValue(b);
        w.WriteNumberValue(c);
        w.WriteEndArray();
    }
}
