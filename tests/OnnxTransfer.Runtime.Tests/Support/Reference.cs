using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests.Support;

/// <summary>The shared reference tensors: each image's preprocessed input [1,3,224,224] and ORT 1.30 logits [1,1000].</summary>
internal static class Reference
{
    public const int ImageElements = 3 * 224 * 224;
    public const int Classes = 1000;

    private static readonly Lazy<IReadOnlyList<Image>> AllImages = new(() =>
        SharedData.ReferenceNames.Select(name => new Image(
            name,
            NpyFile.Read(SharedData.ReferenceTensor(name, "input")).AsSpan<float>().ToArray(),
            NpyFile.Read(SharedData.ReferenceTensor(name, "logits")).AsSpan<float>().ToArray())).ToArray());

    public static IReadOnlyList<Image> Images => AllImages.Value;

    /// <summary>The inputs of <paramref name="batch"/> images stacked (reference images in order, repeated as needed).</summary>
    public static float[] StackInputs(int batch)
    {
        var stacked = new float[batch * ImageElements];
        for (int i = 0; i < batch; i++) Images[i % Images.Count].Input.CopyTo(stacked, i * ImageElements);
        return stacked;
    }

    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"lengths {a.Length} and {b.Length} differ");
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    internal sealed record Image(string Name, float[] Input, float[] Logits);
}
