using System.Text.Json;
using OnnxTransfer.Text.Normalization;
using OnnxTransfer.Text.Tokenization;
using OnnxTransfer.Text.WordPiece;

namespace OnnxTransfer.Text;

/// <summary>
/// Reads a Hugging Face tokenizer folder. <c>tokenizer.json</c> defines the pipeline when present (normaliser, WordPiece
/// model and vocabulary, added tokens, post-processor); <c>tokenizer_config.json</c> then only overrides the normaliser
/// switches it names (<c>do_lower_case</c>, <c>strip_accents</c>, <c>tokenize_chinese_chars</c>), exactly as
/// transformers' <c>BertTokenizerFast</c> does, and gives <c>model_max_length</c>. Without <c>tokenizer.json</c> the
/// tokenizer is built from <c>vocab.txt</c> and the two config files, as transformers converts a slow BERT tokenizer.
/// The <c>truncation</c>/<c>padding</c> sections of <c>tokenizer.json</c> are ignored, as transformers ignores them:
/// truncation is asked per call (<see cref="EncodeOptions.MaxLength"/>), padding by the batch builder.
/// </summary>
internal static class BertTokenizerFiles
{
    // transformers writes int(1e30) when a tokenizer declares no maximum: then BERT's 512 position embeddings apply.
    private const int UndeclaredMaxLength = 512;

    public static BertTokenizer Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new TokenizerConfigurationException($"Tokenizer folder '{directory}' does not exist: give the folder that holds vocab.txt or tokenizer.json.");

        using var config = ReadJsonIfPresent(Path.Combine(directory, "tokenizer_config.json"));
        using var specialMap = ReadJsonIfPresent(Path.Combine(directory, "special_tokens_map.json"));
        var settings = ApplyConfig(new BertTokenizerSettings(), config?.RootElement, specialMap?.RootElement);

        var tokenizerJson = Path.Combine(directory, "tokenizer.json");
        if (File.Exists(tokenizerJson))
        {
            using var document = ReadJsonIfPresent(tokenizerJson)!;
            try
            {
                return FromTokenizerJson(document.RootElement, tokenizerJson, settings, config?.RootElement);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
            {
                throw Bad(tokenizerJson, $"is malformed ({e.Message})");
            }
        }

        var vocabTxt = Path.Combine(directory, "vocab.txt");
        if (!File.Exists(vocabTxt))
            throw new TokenizerConfigurationException($"Tokenizer folder '{directory}' has neither tokenizer.json nor vocab.txt: copy the model's tokenizer files there.");
        var vocabulary = WordPieceVocabulary.Load(vocabTxt, settings.ContinuingSubwordPrefix);
        return new BertTokenizer(vocabulary, settings);
    }

    private static BertTokenizer FromTokenizerJson(JsonElement root, string path, BertTokenizerSettings settings, JsonElement? config)
    {
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw Bad(path, "has no \"model\" object");
        var modelType = OptionalString(model, "type");
        if (modelType is not null && modelType != "WordPiece")
            throw Bad(path, $"has a {modelType} model; only WordPiece (BERT-family) tokenizers are supported");

        var prefix = OptionalString(model, "continuing_subword_prefix") ?? "##";
        settings = settings with
        {
            UnknownToken = OptionalString(model, "unk_token") ?? settings.UnknownToken,
            ContinuingSubwordPrefix = prefix,
            MaxInputCharsPerWord = model.TryGetProperty("max_input_chars_per_word", out var maxChars) && maxChars.ValueKind == JsonValueKind.Number
                ? maxChars.GetInt32() : settings.MaxInputCharsPerWord,
            Normalizer = ReadNormalizer(root, path, config),
        };
        ValidatePreTokenizer(root, path);
        var vocabulary = ReadVocabulary(model, path, prefix);
        var specials = ReadAddedTokens(root, path);
        var template = ReadTemplate(root, path, vocabulary);
        return new BertTokenizer(vocabulary, settings, specials, template);
    }

    private static BertNormalizerOptions ReadNormalizer(JsonElement root, string path, JsonElement? config)
    {
        var options = new BertNormalizerOptions(false, false, false, false);
        if (root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind == JsonValueKind.Object)
        {
            var type = OptionalString(normalizer, "type");
            if (type != "BertNormalizer")
                throw Bad(path, $"has a {type ?? "untyped"} normalizer; only BertNormalizer is supported");
            options = new BertNormalizerOptions(
                OptionalBool(normalizer, "clean_text") ?? true,
                OptionalBool(normalizer, "handle_chinese_chars") ?? true,
                OptionalBool(normalizer, "strip_accents"),
                OptionalBool(normalizer, "lowercase") ?? true);
        }
        if (config is { } c)
        {
            // BertTokenizerFast rebuilds the normaliser when tokenizer_config.json disagrees with tokenizer.json.
            options = options with
            {
                Lowercase = OptionalBool(c, "do_lower_case") ?? options.Lowercase,
                StripAccents = c.TryGetProperty("strip_accents", out _) ? OptionalBool(c, "strip_accents") : options.StripAccents,
                HandleChineseChars = OptionalBool(c, "tokenize_chinese_chars") ?? options.HandleChineseChars,
            };
        }
        return options;
    }

    private static void ValidatePreTokenizer(JsonElement root, string path)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object)
            throw Bad(path, "has no pre_tokenizer; a BERT tokenizer needs BertPreTokenizer");
        var type = OptionalString(pre, "type");
        if (type != "BertPreTokenizer")
            throw Bad(path, $"has a {type ?? "untyped"} pre_tokenizer; only BertPreTokenizer is supported");
    }

    private static WordPieceVocabulary ReadVocabulary(JsonElement model, string path, string prefix)
    {
        if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw Bad(path, "has no model.vocab object");
        var byId = new Dictionary<int, string>();
        var maxId = -1;
        foreach (var entry in vocab.EnumerateObject())
        {
            var id = entry.Value.GetInt32();
            if (id < 0) throw Bad(path, $"gives token '{entry.Name}' the negative id {id}");
            byId[id] = entry.Name;
            maxId = Math.Max(maxId, id);
        }
        if (maxId < 0) throw Bad(path, "has an empty vocabulary");
        var tokens = new string[maxId + 1];
        for (var id = 0; id <= maxId; id++)
            tokens[id] = byId.TryGetValue(id, out var token) ? token : throw Bad(path, $"has no token for id {id}; WordPiece ids must run from 0 without gaps");
        return new WordPieceVocabulary(tokens, prefix);
    }

    private static List<SpecialToken> ReadAddedTokens(JsonElement root, string path)
    {
        var result = new List<SpecialToken>();
        if (!root.TryGetProperty("added_tokens", out var added) || added.ValueKind != JsonValueKind.Array) return result;
        foreach (var token in added.EnumerateArray())
        {
            var content = OptionalString(token, "content") ?? throw Bad(path, "has an added token without content");
            foreach (var unsupported in (string[])["single_word", "lstrip", "rstrip", "normalized"])
                if (OptionalBool(token, unsupported) == true)
                    throw Bad(path, $"marks added token '{content}' {unsupported}=true; only tokens matched verbatim (all four false) are supported");
            result.Add(new SpecialToken(content, token.GetProperty("id").GetInt32()));
        }
        return result;
    }

    private static SequenceTemplate ReadTemplate(JsonElement root, string path, WordPieceVocabulary vocabulary)
    {
        if (!root.TryGetProperty("post_processor", out var processor) || processor.ValueKind != JsonValueKind.Object)
            return SequenceTemplate.None;
        var type = OptionalString(processor, "type");
        switch (type)
        {
            case "BertProcessing":
            {
                var sep = processor.GetProperty("sep");
                var cls = processor.GetProperty("cls");
                return SequenceTemplate.Bert(new SpecialToken(cls[0].GetString()!, cls[1].GetInt32()),
                    new SpecialToken(sep[0].GetString()!, sep[1].GetInt32()));
            }
            case "TemplateProcessing":
            {
                var specials = new Dictionary<string, SpecialToken[]>(StringComparer.Ordinal);
                if (processor.TryGetProperty("special_tokens", out var map) && map.ValueKind == JsonValueKind.Object)
                {
                    foreach (var entry in map.EnumerateObject())
                    {
                        var ids = entry.Value.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                        var tokens = entry.Value.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!).ToArray();
                        if (ids.Length != tokens.Length) throw Bad(path, $"gives special token '{entry.Name}' {ids.Length} ids but {tokens.Length} tokens");
                        specials[entry.Name] = [.. ids.Zip(tokens, (id, token) => new SpecialToken(token, id))];
                    }
                }
                return new SequenceTemplate(ReadPieces(processor, "single", path, specials), ReadPieces(processor, "pair", path, specials));
            }
            default:
                throw Bad(path, $"has a {type ?? "untyped"} post_processor; only TemplateProcessing and BertProcessing are supported");
        }
    }

    private static TemplatePiece[] ReadPieces(JsonElement processor, string name, string path, Dictionary<string, SpecialToken[]> specials)
    {
        var pieces = new List<TemplatePiece>();
        foreach (var piece in processor.GetProperty(name).EnumerateArray())
        {
            if (piece.TryGetProperty("SpecialToken", out var special))
            {
                var id = special.GetProperty("id").GetString()!;
                if (!specials.TryGetValue(id, out var tokens)) throw Bad(path, $"uses special token '{id}' in its {name} template without defining it");
                pieces.Add(new TemplatePiece(-1, special.GetProperty("type_id").GetInt32(), tokens));
            }
            else if (piece.TryGetProperty("Sequence", out var sequence))
            {
                var which = sequence.GetProperty("id").GetString() switch
                {
                    "A" => 0,
                    "B" => 1,
                    var other => throw Bad(path, $"names an unknown sequence '{other}' in its {name} template"),
                };
                pieces.Add(TemplatePiece.Input(which, sequence.GetProperty("type_id").GetInt32()));
            }
            else
            {
                throw Bad(path, $"has an unknown piece in its {name} template");
            }
        }
        return [.. pieces];
    }

    private static BertTokenizerSettings ApplyConfig(BertTokenizerSettings settings, JsonElement? config, JsonElement? specialMap)
    {
        foreach (var source in new[] { config, specialMap })
        {
            if (source is not { } s) continue;
            settings = settings with
            {
                UnknownToken = TokenSetting(s, "unk_token") ?? settings.UnknownToken,
                ClassifierToken = TokenSetting(s, "cls_token") ?? settings.ClassifierToken,
                SeparatorToken = TokenSetting(s, "sep_token") ?? settings.SeparatorToken,
                PaddingToken = TokenSetting(s, "pad_token") ?? settings.PaddingToken,
                MaskToken = TokenSetting(s, "mask_token") ?? settings.MaskToken,
                AdditionalSpecialTokens = s.TryGetProperty("additional_special_tokens", out var extra) && extra.ValueKind == JsonValueKind.Array
                    ? [.. extra.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetProperty("content").GetString()!)]
                    : settings.AdditionalSpecialTokens,
            };
        }
        if (config is { } c)
        {
            settings = settings with
            {
                Normalizer = new BertNormalizerOptions(
                    CleanText: true,
                    HandleChineseChars: OptionalBool(c, "tokenize_chinese_chars") ?? true,
                    StripAccents: OptionalBool(c, "strip_accents"),
                    Lowercase: OptionalBool(c, "do_lower_case") ?? true),
                ModelMaxLength = c.TryGetProperty("model_max_length", out var max) && max.ValueKind == JsonValueKind.Number
                    && max.TryGetDouble(out var value) && value is >= 2 and <= 1_000_000
                    ? (int)value
                    : UndeclaredMaxLength,
            };
        }
        return settings;
    }

    /// <summary>A special token setting: a string, or an AddedToken object with "content".</summary>
    private static string? TokenSetting(JsonElement element, string name) =>
        !element.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var content) ? content.GetString()
        : null;

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool? OptionalBool(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        } : null;

    private static JsonDocument? ReadJsonIfPresent(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new TokenizerConfigurationException($"'{path}' is not valid JSON ({e.Message}): replace it with the file the model was published with.", e);
        }
    }

    private static TokenizerConfigurationException Bad(string path, string what) =>
        new($"'{path}' {what}: use the tokenizer.json of a BERT-family (WordPiece) model, or remove it to build the tokenizer from vocab.txt.");
}
