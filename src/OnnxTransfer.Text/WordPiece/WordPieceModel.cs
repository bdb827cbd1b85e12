using OnnxTransfer.Text.Normalization;
using OnnxTransfer.Text.Tokenization;

namespace OnnxTransfer.Text.WordPiece;

/// <summary>
/// Greedy longest-match-first WordPiece over one pre-tokenised word, as the Hugging Face Rust model: the first piece is
/// looked up as is, later ones with the <c>##</c> prefix; a word longer than <see cref="MaxInputCharsPerWord"/> code
/// points, or one that cannot be covered, becomes a single unknown token spanning the whole word.
/// </summary>
internal sealed class WordPieceModel(WordPieceVocabulary vocabulary, string unknownToken, int maxInputCharsPerWord)
{
    private readonly int _unknownId = vocabulary.TryGetId(unknownToken, out var id)
        ? id
        : throw new TokenizerConfigurationException($"The unknown token '{unknownToken}' is not in the vocabulary: fix unk_token in the tokenizer files.");

    private readonly string _unknownToken = unknownToken;

    public int MaxInputCharsPerWord { get; } = maxInputCharsPerWord;

    /// <summary>Appends the pieces of <paramref name="text"/>[<paramref name="start"/>..<paramref name="end"/>).</summary>
    public void Tokenize(NormalizedText text, int start, int end, TokenBuffer output)
    {
        var chars = text.Chars;
        var wordStart = text.Starts[start];
        var wordEnd = text.Ends[end - 1];
        if (CountCodePoints(chars.AsSpan(start, end - start)) > MaxInputCharsPerWord)
        {
            output.Add(_unknownId, _unknownToken, wordStart, wordEnd);
            return;
        }

        var mark = output.Count;
        var pieceStart = start;
        while (pieceStart < end)
        {
            var pieceEnd = end;
            var found = false;
            while (pieceStart < pieceEnd)
            {
                var piece = chars.AsSpan(pieceStart, pieceEnd - pieceStart);
                var known = pieceStart == start
                    ? vocabulary.TryGetId(piece, out var pieceId)
                    : vocabulary.TryGetContinuationId(piece, out pieceId);
                if (known)
                {
                    output.Add(pieceId, vocabulary.TokenOf(pieceId), text.Starts[pieceStart], text.Ends[pieceEnd - 1]);
                    found = true;
                    break;
                }
                // Shorten by one code point, never splitting a surrogate pair.
                pieceEnd -= pieceEnd - 2 >= pieceStart && char.IsLowSurrogate(chars[pieceEnd - 1]) && char.IsHighSurrogate(chars[pieceEnd - 2]) ? 2 : 1;
            }
            if (!found)
            {
                output.Count = mark;
                output.Add(_unknownId, _unknownToken, wordStart, wordEnd);
                return;
            }
            pieceStart = pieceEnd;
        }
    }

    private static int CountCodePoints(ReadOnlySpan<char> word)
    {
        var count = word.Length;
        for (var i = 1; i < word.Length; i++)
            if (char.IsLowSurrogate(word[i]) && char.IsHighSurrogate(word[i - 1])) count--;
        return count;
    }
}
