using System.Numerics.Tensors;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Backbones;

/// <summary>The span kernels that turn a backbone's feature tensor into embeddings: global average pooling, L2 normalisation.</summary>
public static class EmbeddingPostprocessing
{
    /// <summary>
    /// Averages each of <paramref name="count"/> × <paramref name="channels"/> planes of <paramref name="spatial"/> values
    /// ([N, C, H, W] → [N, C]).
    /// </summary>
    public static void GlobalAverage(ReadOnlySpan<float> features, int count, int channels, int spatial, Span<float> destination)
    {
        var planes = count * channels;
        if (features.Length < planes * spatial) throw new ArgumentException("The feature buffer is shorter than count × channels × spatial.", nameof(features));
        if (destination.Length < planes) throw new ArgumentException("The destination is shorter than count × channels.", nameof(destination));
        var scale = 1f / spatial;
        for (var p = 0; p < planes; p++)
            destination[p] = TensorPrimitives.Sum(features.Slice(p * spatial, spatial)) * scale;
    }

    /// <summary>Scales each of <paramref name="count"/> rows of <paramref name="dimension"/> floats to unit length (zero rows stay zero).</summary>
    public static void L2Normalize(Span<float> rows, int count, int dimension)
    {
        for (var i = 0; i < count; i++)
        {
            var row = rows.Slice(i * dimension, dimension);
            var norm = TensorPrimitives.Norm(row);
            if (norm > 0f) TensorPrimitives.Divide(row, norm, row);
        }
    }
}
