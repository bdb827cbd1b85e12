namespace OnnxTransfer.Text.Tokenization;

/// <summary>The tokens of one sequence while it is being built: ids, token strings (vocabulary instances) and offsets.</summary>
internal sealed class TokenBuffer
{
    public int[] Ids = new int[128];
    public string[] Tokens = new string[128];
    public int[] Starts = new int[128];
    public int[] Ends = new int[128];
    public int Count;

    /// <summary>Token count at the end of each split (a special token or a pre-tokenised word), in order.</summary>
    public int[] SplitEnds = new int[64];

    /// <summary>Whether each split is a special token cut out of the raw text (it arrives already tokenised).</summary>
    public bool[] SplitIsSpecial = new bool[64];
    public int SplitCount;

    public void Clear() => Count = SplitCount = 0;

    public void EndSplit(bool special)
    {
        if (SplitCount == SplitEnds.Length)
        {
            Array.Resize(ref SplitEnds, SplitCount * 2);
            Array.Resize(ref SplitIsSpecial, SplitCount * 2);
        }
        SplitIsSpecial[SplitCount] = special;
        SplitEnds[SplitCount++] = Count;
    }

    /// <summary>
    /// The tokens <c>tokenizers</c> 0.23 keeps before truncating (<c>PreTokenizedString::tokenize_with_limit</c>):
    /// splits are tokenised in order (from the end for left truncation) and it stops after the first word whose
    /// tokens bring the running count to <paramref name="limit"/>. Special-token splits count but never stop it,
    /// because they were tokenised before and the check only follows a word it tokenises.
    /// </summary>
    public (int Start, int End) EarlyExitWindow(int limit, SequenceSide side)
    {
        if (side == SequenceSide.Right)
        {
            for (var s = 0; s < SplitCount; s++)
                if (!SplitIsSpecial[s] && SplitEnds[s] >= limit) return (0, SplitEnds[s]);
            return (0, Count);
        }
        for (var s = SplitCount - 1; s >= 0; s--)
        {
            var splitStart = s == 0 ? 0 : SplitEnds[s - 1];
            if (!SplitIsSpecial[s] && Count - splitStart >= limit) return (splitStart, Count);
        }
        return (0, Count);
    }

    public void Add(int id, string token, int start, int end)
    {
        if (Count == Ids.Length)
        {
            var size = Count * 2;
            Array.Resize(ref Ids, size);
            Array.Resize(ref Tokens, size);
            Array.Resize(ref Starts, size);
            Array.Resize(ref Ends, size);
        }
        Ids[Count] = id;
        Tokens[Count] = token;
        Starts[Count] = start;
        Ends[Count] = end;
        Count++;
    }
}
