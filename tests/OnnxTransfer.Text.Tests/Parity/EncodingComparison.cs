using System.Text;

namespace OnnxTransfer.Text.Tests.Parity;

/// <summary>Compares our encodings with an oracle's and collects readable mismatch reports.</summary>
public sealed class EncodingComparison(string oracleName)
{
    private readonly List<string> _mismatches = [];

    public int Compared { get; private set; }

    public int MismatchCount => _mismatches.Count;

    /// <summary>Compares one encoding; <paramref name="error"/> is the message our tokenizer threw, if it threw.</summary>
    public void Compare(OracleRequest request, TokenEncoding? mine, string? error, OracleEncoding expected)
    {
        Compared++;
        var difference = Difference(mine, error, expected);
        if (difference is not null) _mismatches.Add($"{Describe(request)}\n    {difference}");
    }

    /// <summary>Fails with the first few mismatches (inputs escaped) when there is any.</summary>
    public void AssertNone()
    {
        if (_mismatches.Count == 0) return;
        Assert.Fail($"{_mismatches.Count} of {Compared} encodings differ from {oracleName}; the first ones:\n"
            + string.Join("\n", _mismatches.Take(6)));
    }

    private static string? Difference(TokenEncoding? mine, string? error, OracleEncoding expected)
    {
        if (expected.Error is not null)
            return error is not null ? null : $"the oracle refused ({expected.Error}) but we encoded {Tokens(mine!.Tokens)}";
        if (mine is null) return $"we threw ({error}) but the oracle encoded {Tokens(expected.Tokens)}";
        if (!mine.Tokens.SequenceEqual(expected.Tokens)) return $"tokens: expected {Tokens(expected.Tokens)}\n    but got  {Tokens(mine.Tokens)}";
        if (!mine.Ids.SequenceEqual(expected.Ids)) return $"ids: expected [{string.Join(",", expected.Ids)}] but got [{string.Join(",", mine.Ids.ToArray())}]";
        if (!mine.TypeIds.SequenceEqual(expected.TypeIds)) return $"type ids: expected [{string.Join(",", expected.TypeIds)}] but got [{string.Join(",", mine.TypeIds.ToArray())}]";
        if (expected.AttentionMask is not null && !mine.AttentionMask.SequenceEqual(expected.AttentionMask))
            return "attention masks differ";
        if (expected.Offsets is not null)
        {
            for (var i = 0; i < expected.Offsets.Length; i++)
            {
                var (start, end) = expected.Offsets[i];
                if (mine.Offsets[i].Start != start || mine.Offsets[i].End != end)
                    return $"offsets of token {i} '{Escape(mine.Tokens[i])}': expected ({start},{end}) but got ({mine.Offsets[i].Start},{mine.Offsets[i].End})";
            }
        }
        return null;
    }

    private static string Describe(OracleRequest request)
    {
        var text = $"text \"{Escape(request.Text)}\"";
        if (request.Pair is not null) text += $" + pair \"{Escape(request.Pair)}\"";
        if (request.MaxLength is not null) text += $" (max_length {request.MaxLength}, {request.Strategy})";
        return text;
    }

    private static string Tokens(IEnumerable<string> tokens) => "[" + string.Join(" ", tokens.Select(Escape)) + "]";

    /// <summary>The text with everything outside printable ASCII written as \uXXXX (or \U{XXXXX}), readable in a log.</summary>
    public static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value is >= 0x20 and < 0x7F and not '\\' and not '"') builder.Append((char)rune.Value);
            else if (rune.Value < 0x10000) builder.Append($"\\u{rune.Value:X4}");
            else builder.Append($"\\U{{{rune.Value:X}}}");
        }
        return builder.ToString();
    }
}
