using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// Gaussian blobs with known structure: class c is centred at a random point of norm <c>separation</c>, rows add unit
/// noise, and a per-feature offset/scale distorts everything (so standardisation has something to undo). Several
/// splits drawn from one problem share centres and distortion. Classes are named "class00"….
/// </summary>
internal sealed class BlobProblem
{
    private readonly double[,] _centres;
    private readonly float[] _shift, _scale;

    public BlobProblem(int dimension, int classes, double separation, int seed, float offset = 3f, float scaleSpread = 4f)
    {
        Dimension = dimension;
        Classes = classes;
        var random = new Random(seed);
        _centres = new double[classes, dimension];
        for (int c = 0; c < classes; c++)
        {
            double norm = 0;
            for (int j = 0; j < dimension; j++)
            {
                _centres[c, j] = Synthetic.Gaussian(random);
                norm += _centres[c, j] * _centres[c, j];
            }
            norm = Math.Sqrt(norm);
            for (int j = 0; j < dimension; j++) _centres[c, j] *= separation / norm;
        }
        _shift = new float[dimension];
        _scale = new float[dimension];
        for (int j = 0; j < dimension; j++)
        {
            _shift[j] = offset * (float)(random.NextDouble() * 2 - 1);
            _scale[j] = 1f + scaleSpread * (float)random.NextDouble();
        }
    }

    public int Dimension { get; }

    public int Classes { get; }

    public IReadOnlyList<string> ClassNames => Enumerable.Range(0, Classes).Select(Synthetic.ClassName).ToArray();

    /// <summary>Rows cycle through the classes, or follow <paramref name="shares"/> (relative class frequencies).</summary>
    public EmbeddingSet Sample(int rows, int seed, string name = "train", double[]? shares = null)
    {
        var random = new Random(seed);
        var features = new float[rows * Dimension];
        var labels = new string[rows];
        var names = ClassNames;
        for (int i = 0; i < rows; i++)
        {
            int c = shares is null ? i % Classes : Synthetic.Pick(random, shares);
            labels[i] = names[c];
            for (int j = 0; j < Dimension; j++)
                features[i * Dimension + j] = (float)((_centres[c, j] + Synthetic.Gaussian(random)) * _scale[j] + _shift[j]);
        }
        return EmbeddingSet.Create(name, features, Dimension, labels, names);
    }
}

internal static class Synthetic
{
    public static EmbeddingSet Blobs(int rows, int dimension, int classes, double separation, int seed, string name = "train") =>
        new BlobProblem(dimension, classes, separation, seed).Sample(rows, seed + 1, name);

    /// <summary>XOR of the signs of the first two features, the rest noise: no linear model beats chance on it.</summary>
    public static EmbeddingSet Xor(int rows, int dimension, int seed, string name = "train")
    {
        var random = new Random(seed);
        var features = new float[rows * dimension];
        var labels = new string[rows];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < dimension; j++) features[i * dimension + j] = (float)Gaussian(random);
            // A margin around the axes keeps the problem cleanly learnable.
            float a = Push(features[i * dimension]), b = Push(features[i * dimension + 1]);
            features[i * dimension] = a;
            features[i * dimension + 1] = b;
            labels[i] = (a > 0) == (b > 0) ? "same" : "different";
        }
        return EmbeddingSet.Create(name, features, dimension, labels);
    }

    public static string ClassName(int c) => $"class{c:D2}";

    public static int Pick(Random random, double[] shares)
    {
        double u = random.NextDouble() * shares.Sum();
        for (int c = 0; c < shares.Length; c++)
        {
            if (u < shares[c]) return c;
            u -= shares[c];
        }
        return shares.Length - 1;
    }

    public static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static float Push(float v) => Math.Abs(v) < 0.25f ? (v < 0 ? v - 0.25f : v + 0.25f) : v;
}
