using System.Text;
using System.Text.Json;
using OnnxTransfer.Formats;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Export;

/// <summary>
/// The JSON values the trainer composes for a head's metadata (<see cref="HeadMetadata"/> in <c>OnnxTransfer.Formats</c>
/// writes them): the structure the importer rebuilds the head from, and the metrics.
/// </summary>
internal static class HeadMetadataJson
{
    /// <summary>How the standardisation appears in the graph: absent, folded into the first Gemm, or as Sub/Div nodes.</summary>
    public const string StandardizeNone = "none", StandardizeFolded = "folded", StandardizeNodes = "nodes";

    /// <summary>
    /// <c>{"kind", "input_dimension", "classes", "preprocessing": {"l2_normalize", "standardize"}, "layers": [{inputs,
    /// outputs, activation, weight, bias}], "export": {opset, fold_max_probability_change}, "training": {…}}</c>: the
    /// structure the importer rebuilds the head from (weights are read from the named initializers).
    /// </summary>
    public static string HeadJson(Head head, string standardize, int opset, double foldError, IReadOnlyList<(string Weight, string Bias)> layerNames) => Json(json =>
    {
        json.WriteStartObject();
        json.WriteString("kind", head.Kind);
        json.WriteNumber("input_dimension", head.InputDimension);
        json.WriteNumber("classes", head.ClassCount);
        json.WriteStartObject("preprocessing");
        json.WriteBoolean("l2_normalize", head.Preprocessing.L2Normalize);
        json.WriteString("standardize", standardize);
        json.WriteEndObject();
        json.WriteStartArray("layers");
        for (int l = 0; l < head.Layers.Count; l++)
        {
            var layer = head.Layers[l];
            json.WriteStartObject();
            json.WriteNumber("inputs", layer.InputCount);
            json.WriteNumber("outputs", layer.OutputCount);
            json.WriteString("activation", layer.Activation.ToString().ToLowerInvariant());
            json.WriteString("weight", layerNames[l].Weight);
            json.WriteString("bias", layerNames[l].Bias);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (head.Vote is { } vote) NeighbourVoteExport.WriteJson(json, vote);
        json.WriteStartObject("export");
        json.WriteNumber("opset", opset);
        if (standardize == StandardizeFolded) json.WriteNumber("fold_max_probability_change", foldError);
        json.WriteEndObject();
        if (head.Training is { } training) HeadFile.WriteTraining(json, training);
        json.WriteEndObject();
    });

    /// <summary><c>{"splits": [{split, rows, accuracy, …}], "selection": {validation, metric, best, mean_score, std}}</c>.</summary>
    public static string MetricsJson(IReadOnlyList<ClassificationMetrics> metrics, SweepResult? sweep) => Json(json =>
    {
        json.WriteStartObject();
        json.WriteStartArray("splits");
        foreach (var m in metrics)
        {
            json.WriteStartObject();
            Evaluation.MetricsJson.WriteSummary(json, m);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (sweep is not null)
        {
            json.WriteStartObject("selection");
            json.WriteString("validation", sweep.Validation);
            json.WriteString("metric", sweep.Metric.ToString());
            json.WriteString("best", sweep.Best.Name);
            Evaluation.MetricsJson.Number(json, "mean_score", sweep.Best.MeanScore);
            Evaluation.MetricsJson.Number(json, "score_std", sweep.Best.ScoreStandardDeviation);
            json.WriteNumber("candidates", sweep.Points.Count);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    });


    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream)) write(json);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
