namespace OnnxTransfer.Text.WordPiece;

/// <summary>
/// A WordPiece vocabulary: token ↔ id, with lookups by <see cref="ReadOnlySpan{T}"/> so that matching sub-words never
/// allocates a substring. Immutable and thread-safe.
/// </summary>
public sealed class WordPieceVocabulary
{
    private readonly string[] _tokens;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuationIds;

    /// <param name="tokens">Token of every id: <c>tokens[id]</c>.</param>
    /// <param name="continuingSubwordPrefix">Prefix of word-internal pieces (<c>##</c> for BERT).</param>
    public WordPieceVocabulary(IReadOnlyList<string> tokens, string continuingSubwordPrefix = "##")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentException.ThrowIfNullOrEmpty(continuingSubwordPrefix);
        if (tokens.Count == 0) throw new ArgumentException("A vocabulary needs at least one token.", nameof(tokens));
        ContinuingSubwordPrefix = continuingSubwordPrefix;
        _tokens = [.. tokens];
        var ids = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        var continuations = new Dictionary<string, int>(tokens.Count / 4, StringComparer.Ordinal);
        for (var id = 0; id < _tokens.Length; id++)
        {
            var token = _tokens[id] ?? throw new ArgumentException($"Token {id} is null.", nameof(tokens));
            // A repeated token maps to its last id, as the Hugging Face vocab.txt reader does.
            ids[token] = id;
            if (token.Length > continuingSubwordPrefix.Length && token.StartsWith(continuingSubwordPrefix, StringComparison.Ordinal))
                continuations[token[continuingSubwordPrefix.Length..]] = id;
        }
        _ids = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuationIds = continuations.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Number of ids (the model's vocabulary size).</summary>
    public int Count => _tokens.Length;

    /// <summary>Prefix of word-internal pieces, <c>##</c> for BERT.</summary>
    public string ContinuingSubwordPrefix { get; }

    /// <summary>The token of an id; the same string instance every time.</summary>
    public string TokenOf(int id) => _tokens[id];

    /// <summary>Id of a whole token (including any <c>##</c> prefix it has).</summary>
    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _ids.TryGetValue(token, out id);

    /// <summary>Id of <c>##</c> + <paramref name="piece"/>, without building that string.</summary>
    public bool TryGetContinuationId(ReadOnlySpan<char> piece, out int id) => _continuationIds.TryGetValue(piece, out id);

    /// <summary>
    /// Reads a BERT <c>vocab.txt</c>: one token per line, the id is the line number (from 0); trailing whitespace is
    /// ignored as the Hugging Face readers do.
    /// </summary>
    public static WordPieceVocabulary Load(string vocabTxtPath, string continuingSubwordPrefix = "##")
    {
        if (!File.Exists(vocabTxtPath))
            throw new TokenizerConfigurationException($"Vocabulary file '{vocabTxtPath}' does not exist: give the vocab.txt of the model's tokenizer.");
        var tokens = new List<string>(32_000);
        foreach (var line in File.ReadLines(vocabTxtPath)) tokens.Add(line.TrimEnd());
        if (tokens.Count == 0)
            throw new TokenizerConfigurationException($"Vocabulary file '{vocabTxtPath}' is empty: it should hold one WordPiece token per line.");
        return new WordPieceVocabulary(tokens, continuingSubwordPrefix);
    }
}
