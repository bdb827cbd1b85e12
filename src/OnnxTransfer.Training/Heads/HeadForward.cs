using System.Buffers;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Heads;

/// <summary>
/// The forward pass of a head over row blocks: preprocessing, each dense layer as one sgemm plus bias and activation,
/// softmax. Blocks run in parallel; each block allocates its scratch once, never per row.
/// </summary>
internal sealed class HeadForward(Head head, ComputeContext context)
{
    public const int BlockRows = 256;

    /// <summary>
    /// Writes <c>rows × classes</c> probabilities from row <paramref name="firstOutputRow"/> of
    /// <paramref name="probabilities"/> on; <paramref name="features"/> is read only.
    /// </summary>
    public void Probabilities(float[] features, int rows, float[] probabilities, int firstOutputRow = 0) =>
        Run(features, rows, probabilities, firstOutputRow, softmax: true);

    /// <summary>As <see cref="Probabilities"/> but the last layer's logits, before the softmax (for calibration).</summary>
    public void Logits(float[] features, int rows, float[] logits, int firstOutputRow = 0) =>
        Run(features, rows, logits, firstOutputRow, softmax: false);

    private void Run(float[] features, int rows, float[] probabilities, int firstOutputRow, bool softmax)
    {
        if (head.Vote is { } vote)
        {
            NeighbourVoteForward.Run(head, vote, context, features, rows, probabilities, firstOutputRow, softmax);
            return;
        }
        int blocks = (rows + BlockRows - 1) / BlockRows;
        int widest = head.InputDimension;
        foreach (var layer in head.Layers) widest = Math.Max(widest, layer.OutputCount);
        context.For(blocks, block =>
        {
            int start = block * BlockRows, count = Math.Min(BlockRows, rows - start);
            // Pooled scratch: a large prediction run reuses a few buffers instead of allocating two per block.
            var current = ArrayPool<float>.Shared.Rent(count * widest);
            var next = ArrayPool<float>.Shared.Rent(count * widest);
            int d = head.InputDimension;
            var source = features.AsSpan(start * d, count * d);
            if (head.Preprocessing.IsIdentity) source.CopyTo(current);
            else head.Preprocessing.Apply(source, current, count, d);

            int width = d;
            foreach (var layer in head.Layers)
            {
                context.Blas.Sgemm(false, true, count, layer.OutputCount, width, 1f, current, width, layer.Weights, width, 0f, next, layer.OutputCount);
                var output = next.AsSpan(0, count * layer.OutputCount);
                Kernels.AddBias(output, count, layer.Bias);
                switch (layer.Activation)
                {
                    case Activation.Relu:
                        Kernels.Relu(output, output);
                        break;
                    case Activation.Gelu:
                        Kernels.Gelu(output, output, default, default);
                        break;
                }
                (current, next) = (next, current);
                width = layer.OutputCount;
            }
            var logits = current.AsSpan(0, count * width);
            if (softmax) Kernels.SoftmaxRows(logits, count, width);
            logits.CopyTo(probabilities.AsSpan((firstOutputRow + start) * width, count * width));
            ArrayPool<float>.Shared.Return(current);
            ArrayPool<float>.Shared.Return(next);
        });
    }
}
