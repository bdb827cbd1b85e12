using System.Buffers;

namespace OnnxTransfer.Text.Tokenization;

/// <summary>A token that is never split (<c>[CLS]</c>, <c>[MASK]</c>…): found verbatim in the raw text, before normalisation.</summary>
/// <param name="Content">The exact text of the token.</param>
/// <param name="Id">Its id.</param>
public readonly record struct SpecialToken(string Content, int Id);

/// <summary>
/// Finds special tokens in raw text the way the Hugging Face added-vocabulary does for tokens with
/// <c>normalized: false</c>: leftmost-longest, non-overlapping, case-sensitive.
/// </summary>
internal sealed class SpecialTokenMatcher
{
    private readonly SpecialToken[] _longestFirst;
    private readonly SearchValues<char>? _firstChars;

    public SpecialTokenMatcher(IReadOnlyList<SpecialToken> tokens)
    {
        _longestFirst = [.. tokens.Where(t => t.Content.Length > 0).OrderByDescending(t => t.Content.Length)];
        _firstChars = _longestFirst.Length == 0 ? null : SearchValues.Create([.. _longestFirst.Select(t => t.Content[0]).Distinct()]);
    }

    public IReadOnlyList<SpecialToken> Tokens => _longestFirst;

    /// <summary>Finds the first special token at or after <paramref name="from"/>; false when there is none.</summary>
    public bool FindNext(ReadOnlySpan<char> text, int from, out int start, out SpecialToken token)
    {
        if (_firstChars is not null)
        {
            var at = from;
            while (at < text.Length)
            {
                var hit = text[at..].IndexOfAny(_firstChars);
                if (hit < 0) break;
                at += hit;
                var rest = text[at..];
                foreach (var candidate in _longestFirst)
                {
                    if (rest.StartsWith(candidate.Content, StringComparison.Ordinal))
                    {
                        start = at;
                        token = candidate;
                        return true;
                    }
                }
                at++;
            }
        }
        start = -1;
        token = default;
        return false;
    }
}
