using System.Buffers;
using System.Text;
using System.Text.Json;
using OnnxTransfer.Text.Normalization;
using OnnxTransfer.Text.Tokenization;
using OnnxTransfer.Text.WordPiece;

namespace OnnxTransfer.Text;

/// <summary>
/// A whole tokenizer as one JSON text (format <c>onnxtransfer.tokenizer</c> version 1): settings, special tokens,
/// post-processing template and vocabulary. A fused text model carries it in its metadata, so the model file alone
/// tokenises exactly as the tokenizer folder it was composed with. No reflection (Utf8JsonWriter / JsonDocument).
/// </summary>
public static class BertTokenizerJson
{
    public const string FormatName = "onnxtransfer.tokenizer";
    public const int FormatVersion = 1;

    /// <summary>The tokenizer as compact JSON.</summary>
    public static string Write(BertTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        using (var w = new Utf8JsonWriter(buffer))
        {
            var s = tokenizer.Settings;
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteNumber("version", FormatVersion);
            w.WriteStartObject("settings");
            w.WriteString("unk_token", s.UnknownToken);
            w.WriteString("cls_token", s.ClassifierToken);
            w.WriteString("sep_token", s.SeparatorToken);
            w.WriteString("pad_token", s.PaddingToken);
            w.WriteString("mask_token", s.MaskToken);
            w.WriteStartArray("additional_special_tokens");
            foreach (var token in s.AdditionalSpecialTokens) w.WriteStringValue(token);
            w.WriteEndArray();
            w.WriteString("continuing_subword_prefix", s.ContinuingSubwordPrefix);
            w.WriteNumber("max_input_chars_per_word", s.MaxInputCharsPerWord);
            w.WriteNumber("model_max_length", s.ModelMaxLength);
            w.WriteBoolean("clean_text", s.Normalizer.CleanText);
            w.WriteBoolean("handle_chinese_chars", s.Normalizer.HandleChineseChars);
            if (s.Normalizer.StripAccents is { } strip) w.WriteBoolean("strip_accents", strip); else w.WriteNull("strip_accents");
            w.WriteBoolean("lowercase", s.Normalizer.Lowercase);
            w.WriteEndObject();
            w.WriteStartArray("special_tokens");
            foreach (var token in tokenizer.SpecialTokens) WriteToken(w, token);
            w.WriteEndArray();
            w.WriteStartObject("template");
            WritePieces(w, "single", tokenizer.Template.Single);
            WritePieces(w, "pair", tokenizer.Template.Pair);
            w.WriteEndObject();
            w.WriteStartArray("vocab");
            for (var id = 0; id < tokenizer.Vocabulary.Count; id++) w.WriteStringValue(tokenizer.Vocabulary.TokenOf(id));
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a tokenizer written by <see cref="Write"/>.</summary>
    /// <exception cref="TokenizerConfigurationException">Not such a JSON text, or a newer version.</exception>
    public static BertTokenizer Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != FormatName)
                throw new TokenizerConfigurationException($"The text is not an {FormatName} JSON.");
            var version = root.GetProperty("version").GetInt32();
            if (version > FormatVersion)
                throw new TokenizerConfigurationException($"The tokenizer is {FormatName} version {version}, newer than this OnnxTransfer reads ({FormatVersion}): update OnnxTransfer.");
            var s = root.GetProperty("settings");
            var strip = s.GetProperty("strip_accents");
            var settings = new BertTokenizerSettings
            {
                UnknownToken = s.GetProperty("unk_token").GetString()!,
                ClassifierToken = s.GetProperty("cls_token").GetString()!,
                SeparatorToken = s.GetProperty("sep_token").GetString()!,
                PaddingToken = s.GetProperty("pad_token").GetString()!,
                MaskToken = s.GetProperty("mask_token").GetString()!,
                AdditionalSpecialTokens = [.. s.GetProperty("additional_special_tokens").EnumerateArray().Select(e => e.GetString()!)],
                ContinuingSubwordPrefix = s.GetProperty("continuing_subword_prefix").GetString()!,
                MaxInputCharsPerWord = s.GetProperty("max_input_chars_per_word").GetInt32(),
                ModelMaxLength = s.GetProperty("model_max_length").GetInt32(),
                Normalizer = new BertNormalizerOptions(
                    s.GetProperty("clean_text").GetBoolean(),
                    s.GetProperty("handle_chinese_chars").GetBoolean(),
                    strip.ValueKind == JsonValueKind.Null ? null : strip.GetBoolean(),
                    s.GetProperty("lowercase").GetBoolean()),
            };
            var specials = root.GetProperty("special_tokens").EnumerateArray().Select(ReadToken).ToList();
            var template = root.GetProperty("template");
            var sequenceTemplate = new SequenceTemplate(ReadPieces(template.GetProperty("single")), ReadPieces(template.GetProperty("pair")));
            var vocabulary = new WordPieceVocabulary([.. root.GetProperty("vocab").EnumerateArray().Select(e => e.GetString()!)], settings.ContinuingSubwordPrefix);
            return new BertTokenizer(vocabulary, settings, specials, sequenceTemplate);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new TokenizerConfigurationException($"The tokenizer JSON is malformed ({e.Message}): compose the model again.", e);
        }
    }

    private static void WriteToken(Utf8JsonWriter w, SpecialToken token)
    {
        w.WriteStartArray();
        w.WriteStringValue(token.Content);
        w.WriteNumberValue(token.Id);
        w.WriteEndArray();
    }

    private static SpecialToken ReadToken(JsonElement e) => new(e[0].GetString()!, e[1].GetInt32());

    private static void WritePieces(Utf8JsonWriter w, string name, TemplatePiece[] pieces)
    {
        w.WriteStartArray(name);
        foreach (var piece in pieces)
        {
            w.WriteStartObject();
            w.WriteNumber("sequence", piece.Sequence);
            w.WriteNumber("type_id", piece.TypeId);
            w.WriteStartArray("specials");
            foreach (var token in piece.Specials) WriteToken(w, token);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static TemplatePiece[] ReadPieces(JsonElement pieces) =>
    [
        .. pieces.EnumerateArray().Select(p => new TemplatePiece(p.GetProperty("sequence").GetInt32(), p.GetProperty("type_id").GetInt32(),
            [.. p.GetProperty("specials").EnumerateArray().Select(ReadToken)])),
    ];
}
