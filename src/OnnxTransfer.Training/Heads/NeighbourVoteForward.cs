using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Neighbours;

namespace OnnxTransfer.Training.Heads;

/// <summary>
/// The forward pass of a head that ends in a <see cref="NeighbourVote"/>: unit-length queries (the head's
/// preprocessing), their k most similar stored rows by the exact blocked cosine search (<see cref="CosineTopK"/>, whose
/// tiles are the head's dense layer as BLAS products), then the vote. "Logits" are the log-probabilities, so a softmax
/// of them gives the probabilities back.
/// </summary>
internal static class NeighbourVoteForward
{
    public static void Run(Head head, NeighbourVote vote, ComputeContext context, float[] features, int rows, float[] output, int firstOutputRow, bool probabilities)
    {
        int d = head.InputDimension, classes = head.ClassCount;
        // One query buffer per call (a chunk of rows): the search takes exact-length row-major arrays.
        var queries = new float[(long)rows * d];
        head.Preprocessing.Apply(features.AsSpan(0, rows * d), queries, rows, d);
        var neighbours = new CosineTopK(vote.K, context.Options).Search(queries, head.Layers[0].Weights, d);
        int k = neighbours.K;
        for (int q = 0; q < rows; q++)
        {
            var target = output.AsSpan((firstOutputRow + q) * classes, classes);
            vote.Vote(neighbours.Cosines.AsSpan(q * k, k), neighbours.Indices.AsSpan(q * k, k), target);
            if (!probabilities)
                for (int c = 0; c < classes; c++) target[c] = MathF.Log(MathF.Max(target[c], float.Epsilon));
        }
    }
}
