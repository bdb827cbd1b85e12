using System.Text.Json;
using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Export;

/// <summary>
/// The ONNX form of a <see cref="NeighbourVote"/>, appended after the head's dense layer of cosines [batch, N]:
/// <c>TopK(k, largest, sorted)</c> → values, indices [batch, k]; <c>Softmax(Mul(values, scale))</c> → weights;
/// <c>Gather(neighbours.onehot [N, C], indices)</c> → [batch, k, C]; <c>ReduceSum(Mul(Unsqueeze(weights, 2), ·), axis 1)</c>
/// → <c>probabilities</c>. The one-hot matrix holds each stored row's label. ONNX Runtime's TopK keeps the smaller index
/// among equal values, as <c>CosineTopK</c> does, and ArgMax the lower class, as the trainer.
/// </summary>
internal static class NeighbourVoteExport
{
    public const string OneHotInitializer = "neighbours.onehot";

    /// <summary>Appends the vote, reading the cosines <paramref name="similarities"/> and writing <paramref name="output"/>.</summary>
    public static void Append(GraphBuilder b, string similarities, NeighbourVote vote, string output)
    {
        int n = vote.RowCount, classes = vote.ClassCount;
        var oneHot = new float[(long)n * classes];
        for (int r = 0; r < n; r++) oneHot[(long)r * classes + vote.RowLabels[r]] = 1;
        var topK = b.AddNode("TopK", [similarities, b.AddInitializer("neighbours.k", [(long)vote.K], [1])], ["neighbours.cosines", "neighbours.rows"], name: "neighbours_topk")
            .Int("axis", 1).Int("largest", 1).Int("sorted", 1);
        string scaled = b.AddNode("Mul", [topK.Outputs[0], b.AddInitializer("neighbours.scale", [(float)vote.Scale], [])], name: "neighbours_scale").Output;
        string weights = b.AddNode("Softmax", [scaled], name: "neighbours_weights").Int("axis", 1).Output;
        string labels = b.AddNode("Gather", [b.AddInitializer(OneHotInitializer, oneHot, [n, classes]), topK.Outputs[1]], name: "neighbours_labels").Int("axis", 0).Output;
        string column = b.AddNode("Unsqueeze", [weights, b.AddInitializer("neighbours.axis2", [2L], [1])], name: "neighbours_weight_column").Output;
        string weighted = b.AddNode("Mul", [labels, column], name: "neighbours_weighted").Output;
        b.AddNode("ReduceSum", [weighted, b.AddInitializer("neighbours.axis1", [1L], [1])], [output], name: "neighbours_vote").Int("keepdims", 0);
    }

    /// <summary><c>"vote": {"k", "scale", "weighting", "labels"}</c> in the head's structure metadata.</summary>
    public static void WriteJson(Utf8JsonWriter json, NeighbourVote vote)
    {
        json.WriteStartObject("vote");
        json.WriteNumber("k", vote.K);
        json.WriteNumber("scale", vote.Scale);
        json.WriteString("weighting", "softmax-cosine");
        json.WriteString("labels", OneHotInitializer);
        json.WriteEndObject();
    }

    /// <summary>The vote the structure metadata describes, its row labels read back from the one-hot initializer.</summary>
    public static NeighbourVote Read(JsonElement vote, int rows, int classes, Func<string, long, float[]> floats)
    {
        if (vote.GetProperty("weighting").GetString() != "softmax-cosine")
            throw new FormatException($"unknown neighbour weighting '{vote.GetProperty("weighting").GetString()}'");
        var oneHot = floats(vote.GetProperty("labels").GetString()!, (long)rows * classes);
        var rowLabels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            int found = -1;
            for (int c = 0; c < classes; c++)
            {
                float v = oneHot[(long)r * classes + c];
                if (v == 1 && found < 0) found = c;
                else if (v != 0) found = -2;
            }
            rowLabels[r] = found >= 0 ? found : throw new FormatException($"row {r} of '{OneHotInitializer}' is not one-hot");
        }
        return new NeighbourVote(vote.GetProperty("k").GetInt32(), vote.GetProperty("scale").GetDouble(), rowLabels, classes);
    }
}
