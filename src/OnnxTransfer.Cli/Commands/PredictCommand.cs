using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Cli.Json;
using OnnxTransfer.Inference.Prediction;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer predict --model fused.onnx FILES...</c> (or <c>--backbone SPEC --head head.onnx</c>): classifies image
/// files and prints a table, or JSON lines with <c>--json</c>. Exit code 0 when every file was classified, 2 when any
/// could not be read (its row says why; the others are still printed).
/// </summary>
public static class PredictCommand
{
    private static readonly Argument<string[]> Files = new("files") { Description = "Image files; for a text model, the texts themselves (quote each one).", Arity = ArgumentArity.OneOrMore };
    private static readonly Option<int> TopK = new("--top-k") { Description = "Labels to show per image, most probable first.", DefaultValueFactory = _ => 3 };
    private static readonly Option<int> Batch = new("--batch") { Description = "Images per model run.", DefaultValueFactory = _ => 16 };
    private static readonly Option<bool> Json = new("--json") { Description = "One JSON object per image on stdout." };
    private static readonly PredictorLoading Loading = new();

    public static Command Create()
    {
        var command = new Command("predict", "Classify image files (or texts, with a text model) with a fused model or a backbone and head.") { Files, TopK, Batch, Json };
        Loading.AddTo(command);
        TopK.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--top-k must be at least 1."); });
        Batch.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--batch must be at least 1."); });
        command.SetHandler((parseResult, token) => PredictorLoading.Translate(() => Execute(parseResult, token)));
        return command;
    }

    private static int Execute(ParseResult parseResult, CancellationToken token)
    {
        var files = parseResult.GetValue(Files)!;
        using var predictor = Loading.Load(parseResult, parseResult.GetValue(TopK), parseResult.GetValue(Batch), allowSpinning: false);
        var predictions = predictor.IsText ? predictor.PredictTexts(files, cancellationToken: token) : predictor.PredictFiles(files, token);
        if (parseResult.GetValue(Json)) WriteJson(predictions);
        else WriteTable(predictions);
        return predictions.All(p => p.Succeeded) ? ExitCodes.Success : ExitCodes.InputError;
    }

    private static void WriteTable(IReadOnlyList<Prediction> predictions)
    {
        var width = Math.Min(60, predictions.Max(p => p.Input.Length));
        Console.WriteLine($"{"input".PadRight(width)}  {"label",-16} {"probability",11}  top-k");
        foreach (var p in predictions)
        {
            var input = p.Input.Length > width ? "…" + p.Input[^(width - 1)..] : p.Input.PadRight(width);
            if (!p.Succeeded)
            {
                Console.WriteLine($"{input}  error: {p.ErrorReason}: {p.ErrorMessage}");
                continue;
            }
            var top = string.Join(", ", p.TopK.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Label} {t.Probability:F4}")));
            // A model with an OOD output says so per input: its score, and a flag above the threshold.
            var ood = p.OodScore is { } score ? string.Create(CultureInfo.InvariantCulture, $"  ood_score {score:G6}{(p.OutOfDistribution == true ? " (out-of-distribution)" : "")}") : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{input}  {p.Label,-16} {p.Probability,11:F4}  {top}{ood}"));
        }
    }

    private static void WriteJson(IReadOnlyList<Prediction> predictions)
    {
        using var stdout = Console.OpenStandardOutput();
        foreach (var p in predictions)
        {
            using (var json = new Utf8JsonWriter(stdout)) // one line per input
            {
                if (p.Succeeded)
                    JsonSerializer.Serialize(json, new PredictionJson(p.Input, p.Label, p.LabelIndex, p.Probability,
                        p.TopK.Select(t => new TopJson(t.Label, t.Probability)).ToArray(), p.OodScore, p.OutOfDistribution), CliJson.Default.PredictionJson);
                else
                    JsonSerializer.Serialize(json, new FailureJson(p.Input, p.ErrorReason, p.ErrorMessage), CliJson.Default.FailureJson);
            }
            stdout.WriteByte((byte)'\n');
        }
    }

    /// <summary>A line of <c>predict --json</c> for an input that was scored.</summary>
    /// <summary>ood_score and ood only for a model with an OOD output (a head trained with --ood).</summary>
    internal sealed record PredictionJson(string Input, string? Label, int LabelIndex, float Probability, TopJson[] TopK,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] float? OodScore = null,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? Ood = null);

    internal sealed record TopJson(string Label, float Probability);

    /// <summary>A line of <c>predict --json</c> for an input that could not be read.</summary>
    internal sealed record FailureJson(string Input, string? Error, string? ErrorMessage);
}
