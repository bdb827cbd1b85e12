namespace OnnxTransfer.Training.Neighbours;

/// <summary>
/// The k best (cosine, index) pairs seen so far for one query, kept as a min-heap in caller-owned slices so that many
/// queries share two flat arrays and nothing is allocated per candidate. "Worse" means a lower cosine, or the same
/// cosine and a larger index, so the kept set and its final order never depend on the order candidates arrive in.
/// </summary>
internal ref struct BoundedTopK
{
    private readonly Span<int> indices;
    private readonly Span<float> cosines;
    private int count;

    /// <param name="filled">How many leading slots already hold a heap (from an earlier reference block).</param>
    public BoundedTopK(Span<int> indices, Span<float> cosines, int filled)
    {
        this.indices = indices;
        this.cosines = cosines;
        count = filled;
    }

    public readonly int Count => count;

    /// <summary>The cosine a candidate must beat once the heap is full (−∞ before); a cheap first test.</summary>
    public readonly float Floor => count == indices.Length ? cosines[0] : float.NegativeInfinity;

    public void Offer(float cosine, int index)
    {
        if (count < indices.Length)
        {
            // Sift the new pair up from the end.
            int child = count++;
            while (child > 0)
            {
                int parent = (child - 1) >> 1;
                if (!Worse(cosine, index, cosines[parent], indices[parent])) break;
                cosines[child] = cosines[parent];
                indices[child] = indices[parent];
                child = parent;
            }
            cosines[child] = cosine;
            indices[child] = index;
            return;
        }
        if (!Worse(cosines[0], indices[0], cosine, index)) return;
        SiftDown(0, count, cosine, index);
    }

    /// <summary>Sorts the kept pairs best first, in place (heap sort: pops the worst to the back).</summary>
    public void SortDescending()
    {
        for (int end = count - 1; end > 0; end--)
        {
            float worstCosine = cosines[0];
            int worstIndex = indices[0];
            SiftDown(0, end, cosines[end], indices[end]);
            cosines[end] = worstCosine;
            indices[end] = worstIndex;
        }
    }

    private readonly void SiftDown(int position, int size, float cosine, int index)
    {
        while (true)
        {
            int child = 2 * position + 1;
            if (child >= size) break;
            if (child + 1 < size && Worse(cosines[child + 1], indices[child + 1], cosines[child], indices[child])) child++;
            if (!Worse(cosines[child], indices[child], cosine, index)) break;
            cosines[position] = cosines[child];
            indices[position] = indices[child];
            position = child;
        }
        cosines[position] = cosine;
        indices[position] = index;
    }

    private static bool Worse(float cosineA, int indexA, float cosineB, int indexB) =>
        cosineA < cosineB || (cosineA == cosineB && indexA > indexB);
}
