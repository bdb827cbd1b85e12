using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// A generated out-of-distribution set: Gaussian rows with the training split's per-dimension mean and standard
/// deviation (seeded). Such rows share the training data's scale but none of its correlations, so a feature-space
/// score should separate them almost perfectly; a logit score may not — the check shows which kind a method is.
/// </summary>
public static class OodNoise
{
    public const int DefaultRows = 200;

    public static EmbeddingSet Matched(EmbeddingSet train, int rows = DefaultRows, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(train);
        int d = train.Dimension;
        var mean = new double[d];
        var squares = new double[d];
        for (int r = 0; r < train.Count; r++)
        {
            var row = train.Row(r);
            for (int j = 0; j < d; j++) { mean[j] += row[j]; squares[j] += (double)row[j] * row[j]; }
        }
        var random = new Random(seed);
        var noise = new float[(long)rows * d];
        for (int j = 0; j < d; j++)
        {
            double m = mean[j] / train.Count, sd = Math.Sqrt(Math.Max(squares[j] / train.Count - m * m, 0));
            for (int r = 0; r < rows; r++)
            {
                // Box–Muller: one standard normal from two uniforms.
                double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
                noise[(long)r * d + j] = (float)(m + sd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
        }
        // Labelled with the first class only because a split needs labels; nothing reads them.
        return EmbeddingSet.Create("generated-noise", noise, d, Enumerable.Repeat(train.Classes[0], rows).ToArray(), train.Classes);
    }
}
