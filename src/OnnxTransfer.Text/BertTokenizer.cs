using OnnxTransfer.Text.Normalization;
using OnnxTransfer.Text.Tokenization;
using OnnxTransfer.Text.Unicode;
using OnnxTransfer.Text.WordPiece;

namespace OnnxTransfer.Text;

/// <summary>
/// BERT's WordPiece tokenizer, token for token and offset for offset the Hugging Face Rust tokenizer
/// (<c>tokenizers</c> 0.23, what transformers' fast <c>BertTokenizer</c> runs): special tokens are cut out of the raw
/// text, the rest is normalised (<see cref="BertNormalizerOptions"/>), split on whitespace and punctuation, and
/// matched greedily against the vocabulary; then <c>[CLS]</c>/<c>[SEP]</c> are added, with truncation if asked.
/// </summary>
/// <remarks>
/// Thread-safe: <see cref="Encode(string, string?, EncodeOptions?)"/> may be called from many threads at once on one
/// instance. Each thread reuses its own scratch buffers, so encoding allocates only the returned arrays.
/// </remarks>
public sealed class BertTokenizer
{
    private readonly BertNormalizer _normalizer;
    private readonly WordPieceModel _model;
    private readonly SpecialTokenMatcher _specials;
    private readonly SequenceTemplate _template;

    [ThreadStatic] private static Workspace? t_workspace;

    /// <summary>A tokenizer from a vocabulary and settings (special tokens looked up in the vocabulary).</summary>
    public BertTokenizer(WordPieceVocabulary vocabulary, BertTokenizerSettings? settings = null)
        : this(vocabulary, settings ?? new BertTokenizerSettings(), null, null)
    {
    }

    internal BertTokenizer(WordPieceVocabulary vocabulary, BertTokenizerSettings settings,
        IReadOnlyList<SpecialToken>? specialTokens, SequenceTemplate? template)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.MaxInputCharsPerWord <= 0)
            throw new TokenizerConfigurationException($"max_input_chars_per_word is {settings.MaxInputCharsPerWord}: it must be positive (BERT uses 100).");
        if (settings.ModelMaxLength < 2)
            throw new TokenizerConfigurationException($"model_max_length is {settings.ModelMaxLength}: it must leave room for [CLS] and [SEP] (BERT uses 512).");
        if (settings.ContinuingSubwordPrefix != vocabulary.ContinuingSubwordPrefix)
            throw new TokenizerConfigurationException(
                $"The vocabulary was built with continuing-subword prefix '{vocabulary.ContinuingSubwordPrefix}' but the settings say '{settings.ContinuingSubwordPrefix}': make them agree.");

        Vocabulary = vocabulary;
        Settings = settings;
        _normalizer = new BertNormalizer(settings.Normalizer);
        _model = new WordPieceModel(vocabulary, settings.UnknownToken, settings.MaxInputCharsPerWord);
        SpecialTokens = specialTokens ?? DefaultSpecialTokens(vocabulary, settings);
        _specials = new SpecialTokenMatcher(SpecialTokens);
        _template = template ?? SequenceTemplate.Bert(Lookup(vocabulary, settings.ClassifierToken, "cls_token"),
            Lookup(vocabulary, settings.SeparatorToken, "sep_token"));
        PaddingId = Lookup(vocabulary, settings.PaddingToken, "pad_token").Id;
    }

    /// <summary>
    /// Loads the tokenizer in <paramref name="directory"/>: <c>tokenizer.json</c> when present (as transformers' fast
    /// tokenizer), otherwise <c>vocab.txt</c> with <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>.
    /// </summary>
    public static BertTokenizer FromDirectory(string directory) => BertTokenizerFiles.Load(directory);

    /// <summary>The vocabulary.</summary>
    public WordPieceVocabulary Vocabulary { get; }

    /// <summary>The settings this tokenizer runs with.</summary>
    public BertTokenizerSettings Settings { get; }

    /// <summary>Tokens cut out of the raw text before normalisation (never split).</summary>
    public IReadOnlyList<SpecialToken> SpecialTokens { get; }

    /// <summary>Id of the padding token.</summary>
    public int PaddingId { get; }

    /// <summary>Where special tokens go around the sequences (serialised by <see cref="BertTokenizerJson"/>).</summary>
    internal SequenceTemplate Template => _template;

    /// <summary>How many special tokens <see cref="Encode(string, string?, EncodeOptions?)"/> adds: 2 for one text, 3 for a pair with BERT.</summary>
    public int SpecialTokenCount(bool pair) => _template.AddedTokenCount(pair);

    /// <summary>Encodes one text.</summary>
    public TokenEncoding Encode(string text, EncodeOptions? options = null) => Encode(text, null, options);

    /// <summary>Encodes a text, or a text pair when <paramref name="pair"/> is not null.</summary>
    /// <exception cref="TruncationException">The truncation asked for cannot be done (OnlyFirst/OnlySecond).</exception>
    public TokenEncoding Encode(string text, string? pair, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= EncodeOptions.Default;
        var workspace = t_workspace ??= new Workspace();
        var hasPair = pair is not null;

        EncodeSequence(text, workspace.First, workspace);
        if (hasPair) EncodeSequence(pair!, workspace.Second, workspace);

        // The window of each sequence that truncation works on: everything, or what tokenizers 0.23 tokenised.
        var (firstStart, firstEnd) = (0, workspace.First.Count);
        var (secondStart, secondEnd) = (0, hasPair ? workspace.Second.Count : 0);
        if (options is { MaxLength: { } limit, TruncationCompatibility: TruncationCompatibility.Tokenizers023 })
        {
            if (options.TruncationStrategy != TruncationStrategy.OnlySecond)
                (firstStart, firstEnd) = workspace.First.EarlyExitWindow(limit, options.TruncationSide);
            if (hasPair) (secondStart, secondEnd) = workspace.Second.EarlyExitWindow(limit, options.TruncationSide);
        }
        int firstCount = firstEnd - firstStart, secondCount = hasPair ? secondEnd - secondStart : -1;

        var pieces = hasPair ? _template.Pair : _template.Single;
        int keepFirst = firstCount, keepSecond = secondCount;
        if (options.MaxLength is { } maxLength)
        {
            var added = options.AddSpecialTokens ? _template.AddedTokenCount(hasPair) : 0;
            if (maxLength < added)
                throw new ArgumentOutOfRangeException(nameof(options), maxLength,
                    $"MaxLength {maxLength} leaves no room for the {added} special tokens of a {(hasPair ? "pair" : "single text")}: use at least {added}.");
            (keepFirst, keepSecond) = Truncation.KeepLengths(firstCount, secondCount, maxLength - added, options.TruncationStrategy);
        }
        var truncated = workspace.First.Count - keepFirst + (hasPair ? workspace.Second.Count - keepSecond : 0);

        var length = 0;
        foreach (var piece in pieces)
        {
            if (piece.Sequence < 0) length += options.AddSpecialTokens ? piece.Specials.Length : 0;
            else length += piece.Sequence == 0 ? keepFirst : keepSecond;
        }

        var ids = new int[length];
        var typeIds = new int[length];
        var mask = new int[length];
        var tokens = new string[length];
        var offsets = new TokenOffsets[length];
        mask.AsSpan().Fill(1);
        var at = 0;
        foreach (var piece in pieces)
        {
            if (piece.Sequence < 0)
            {
                if (!options.AddSpecialTokens) continue;
                foreach (var special in piece.Specials)
                {
                    ids[at] = special.Id;
                    typeIds[at] = piece.TypeId;
                    tokens[at] = special.Content;
                    at++;
                }
                continue;
            }
            var source = piece.Sequence == 0 ? workspace.First : workspace.Second;
            var keep = piece.Sequence == 0 ? keepFirst : keepSecond;
            var (windowStart, windowEnd) = piece.Sequence == 0 ? (firstStart, firstEnd) : (secondStart, secondEnd);
            var from = options.TruncationSide == SequenceSide.Right ? windowStart : windowEnd - keep;
            var sourceText = piece.Sequence == 0 ? text : pair!;
            var codePointIndex = options.OffsetUnit == OffsetUnit.CodePoint ? workspace.CodePointIndex(sourceText) : null;
            for (var k = from; k < from + keep; k++)
            {
                ids[at] = source.Ids[k];
                typeIds[at] = piece.TypeId;
                tokens[at] = source.Tokens[k];
                offsets[at] = codePointIndex is null
                    ? new TokenOffsets(source.Starts[k], source.Ends[k])
                    : new TokenOffsets(codePointIndex[source.Starts[k]], codePointIndex[source.Ends[k]]);
                at++;
            }
        }
        return new TokenEncoding(ids, typeIds, mask, tokens, offsets, truncated, options.OffsetUnit);
    }

    /// <summary>Encodes many texts (or pairs when <paramref name="pairs"/> is given), in order.</summary>
    public TokenEncoding[] EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string?>? pairs = null, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (pairs is not null && pairs.Count != texts.Count)
            throw new ArgumentException($"{texts.Count} texts but {pairs.Count} pairs: give one pair (or null) per text.", nameof(pairs));
        var result = new TokenEncoding[texts.Count];
        for (var i = 0; i < result.Length; i++) result[i] = Encode(texts[i], pairs?[i], options);
        return result;
    }

    private void EncodeSequence(string text, TokenBuffer output, Workspace workspace)
    {
        output.Clear();
        var position = 0;
        while (_specials.FindNext(text, position, out var start, out var special))
        {
            if (start > position) NormalizeAndTokenize(text, position, start, output, workspace);
            output.Add(special.Id, special.Content, start, start + special.Content.Length);
            output.EndSplit(special: true);
            position = start + special.Content.Length;
        }
        if (position < text.Length) NormalizeAndTokenize(text, position, text.Length, output, workspace);
    }

    /// <summary>Normalises one segment, splits it like <c>BertPreTokenizer</c> and runs WordPiece on every word.</summary>
    private void NormalizeAndTokenize(string text, int start, int end, TokenBuffer output, Workspace workspace)
    {
        var normalized = workspace.Normalized;
        _normalizer.Normalize(text, start, end, normalized, workspace.NormalizerScratch);
        var chars = normalized.Chars;
        var length = normalized.Length;
        var wordStart = -1;
        for (var i = 0; i < length;)
        {
            int cp = chars[i];
            var width = 1;
            if (char.IsHighSurrogate((char)cp) && i + 1 < length && char.IsLowSurrogate(chars[i + 1]))
            {
                cp = char.ConvertToUtf32((char)cp, chars[i + 1]);
                width = 2;
            }
            if (BertCharacters.IsWhitespace(cp))
            {
                if (wordStart >= 0) TokenizeWord(normalized, wordStart, i, output);
                wordStart = -1;
            }
            else if (BertCharacters.IsPunctuation(cp))
            {
                if (wordStart >= 0) TokenizeWord(normalized, wordStart, i, output);
                wordStart = -1;
                TokenizeWord(normalized, i, i + width, output);
            }
            else if (wordStart < 0)
            {
                wordStart = i;
            }
            i += width;
        }
        if (wordStart >= 0) TokenizeWord(normalized, wordStart, length, output);
    }

    private void TokenizeWord(NormalizedText normalized, int start, int end, TokenBuffer output)
    {
        _model.Tokenize(normalized, start, end, output);
        output.EndSplit(special: false);
    }

    private static SpecialToken Lookup(WordPieceVocabulary vocabulary, string token, string setting) =>
        vocabulary.TryGetId(token, out var id)
            ? new SpecialToken(vocabulary.TokenOf(id), id)
            : throw new TokenizerConfigurationException($"The {setting} '{token}' is not in the vocabulary: fix {setting} in the tokenizer files.");

    private static SpecialToken[] DefaultSpecialTokens(WordPieceVocabulary vocabulary, BertTokenizerSettings settings)
    {
        var names = new List<(string Token, string Setting)>
        {
            (settings.PaddingToken, "pad_token"), (settings.UnknownToken, "unk_token"), (settings.ClassifierToken, "cls_token"),
            (settings.SeparatorToken, "sep_token"), (settings.MaskToken, "mask_token"),
        };
        foreach (var extra in settings.AdditionalSpecialTokens) names.Add((extra, "additional_special_tokens"));
        return [.. names.Select(n => Lookup(vocabulary, n.Token, n.Setting)).DistinctBy(t => t.Content)];
    }

    /// <summary>Per-thread buffers of one encoding.</summary>
    private sealed class Workspace
    {
        public readonly TokenBuffer First = new();
        public readonly TokenBuffer Second = new();
        public readonly NormalizedText Normalized = new();
        public readonly BertNormalizer.Scratch NormalizerScratch = new();
        private int[] _codePointIndex = new int[256];

        /// <summary>UTF-16 index → code-point index for <paramref name="text"/>; null when the two are the same.</summary>
        public int[]? CodePointIndex(string text)
        {
            if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0) return null;
            if (_codePointIndex.Length < text.Length + 1) _codePointIndex = new int[Math.Max(text.Length + 1, _codePointIndex.Length * 2)];
            var count = 0;
            for (var i = 0; i < text.Length; i++)
            {
                _codePointIndex[i] = count;
                if (!(char.IsLowSurrogate(text[i]) && i > 0 && char.IsHighSurrogate(text[i - 1]))) count++;
            }
            _codePointIndex[text.Length] = count;
            return _codePointIndex;
        }
    }
}
