namespace OnnxTransfer.Training.Ood;

/// <summary>How well a score (higher = more out-of-distribution) separates in-distribution from OOD rows.</summary>
public static class OodMetrics
{
    /// <summary>
    /// AUROC with OOD as the positive class: the probability that a random OOD row scores above a random in-distribution
    /// row, ties counting one half (Mann–Whitney U from mid-ranks, O(n log n)).
    /// </summary>
    public static double Auroc(ReadOnlySpan<float> inDistribution, ReadOnlySpan<float> outOfDistribution)
    {
        int nIn = inDistribution.Length, nOut = outOfDistribution.Length;
        if (nIn == 0 || nOut == 0) throw new ArgumentException("AUROC needs at least one in-distribution and one OOD score.");
        var all = new (float Score, bool Ood)[nIn + nOut];
        for (int i = 0; i < nIn; i++) all[i] = (inDistribution[i], false);
        for (int i = 0; i < nOut; i++) all[nIn + i] = (outOfDistribution[i], true);
        Array.Sort(all, (a, b) => a.Score.CompareTo(b.Score));
        double oodRankSum = 0;
        for (int start = 0; start < all.Length;)
        {
            int end = start;
            while (end + 1 < all.Length && all[end + 1].Score == all[start].Score) end++;
            double midRank = (start + end) / 2.0 + 1;
            for (int i = start; i <= end; i++) if (all[i].Ood) oodRankSum += midRank;
            start = end + 1;
        }
        return (oodRankSum - nOut * (nOut + 1) / 2.0) / ((double)nIn * nOut);
    }

    /// <summary>The fraction of <paramref name="scores"/> strictly above <paramref name="threshold"/>.</summary>
    public static double FractionAbove(ReadOnlySpan<float> scores, float threshold)
    {
        if (scores.IsEmpty) return double.NaN;
        int above = 0;
        foreach (var s in scores) if (s > threshold) above++;
        return (double)above / scores.Length;
    }
}
