namespace OnnxTransfer.Text.Normalization;

/// <summary>
/// A normalised piece of text in UTF-16 with, for every code unit, the span of the original string it came from
/// (Hugging Face's "alignments"). Buffers grow and are reused: one instance serves every call on one thread.
/// </summary>
internal sealed class NormalizedText
{
    public char[] Chars = new char[256];
    public int[] Starts = new int[256];
    public int[] Ends = new int[256];
    public int Length;

    public void Clear() => Length = 0;

    public ReadOnlySpan<char> Span => Chars.AsSpan(0, Length);

    public void Append(int codePoint, int start, int end)
    {
        if (Length + 2 > Chars.Length) Grow(Length + 2);
        if (codePoint < 0x10000)
        {
            Chars[Length] = (char)codePoint;
            Starts[Length] = start;
            Ends[Length] = end;
            Length++;
            return;
        }
        var offset = codePoint - 0x10000;
        Chars[Length] = (char)(0xD800 + (offset >> 10));
        Chars[Length + 1] = (char)(0xDC00 + (offset & 0x3FF));
        Starts[Length] = Starts[Length + 1] = start;
        Ends[Length] = Ends[Length + 1] = end;
        Length += 2;
    }

    public void EnsureCapacity(int capacity)
    {
        if (capacity > Chars.Length) Grow(capacity);
    }

    private void Grow(int needed)
    {
        var size = Math.Max(needed, Chars.Length * 2);
        Array.Resize(ref Chars, size);
        Array.Resize(ref Starts, size);
        Array.Resize(ref Ends, size);
    }
}

/// <summary>Code points with their original spans: the intermediate form between normalisation steps.</summary>
internal sealed class CodePointBuffer
{
    public int[] CodePoints = new int[256];
    public int[] Starts = new int[256];
    public int[] Ends = new int[256];
    public int Count;

    public void Clear() => Count = 0;

    public void Add(int codePoint, int start, int end)
    {
        if (Count == CodePoints.Length)
        {
            var size = Count * 2;
            Array.Resize(ref CodePoints, size);
            Array.Resize(ref Starts, size);
            Array.Resize(ref Ends, size);
        }
        CodePoints[Count] = codePoint;
        Starts[Count] = start;
        Ends[Count] = end;
        Count++;
    }
}
