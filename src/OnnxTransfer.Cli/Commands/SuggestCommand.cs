using System.CommandLine;
using System.Globalization;
using System.Text;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Cli.Json;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Formats.Suggestions;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.FewShot;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer suggest --cache DIR --head head.onnx --budget N [--out FILE] [--json]</c>: which unlabelled rows of
/// a cache (label null) to label next, by <see cref="LabelSuggester"/> (greedy: each pick moves its predicted class's
/// labelled mean closest to the mean of every row the head puts in that class), written as a CSV manifest
/// (<see cref="SuggestLayout"/>) a labeller fills in and <c>extract --images</c> reads.
/// </summary>
public static class SuggestCommand
{
    private static readonly Option<string> Cache = new("--cache") { Description = "Embedding cache folder; rows whose label is empty are the candidates, labelled rows count as covered.", Required = true };
    private static readonly Option<string> HeadPath = new("--head") { Description = "The current head (.onnx written by train), trained on this cache's labelled rows.", Required = true };
    private static readonly Option<int> Budget = new("--budget") { Description = "How many inputs to suggest.", Required = true };
    private static readonly Option<string?> Out = new("--out") { Description = "Write the manifest (CSV: id, path, label, split, rank, score, margin, distance, predicted) here; default: print it." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print a JSON summary instead of the table." };

    public static Command Create()
    {
        var command = new Command("suggest", "Suggest which unlabelled inputs of a cache to label next (rows that make each class's labelled mean match the class's mean over all rows, as the head predicts), as a manifest.")
        {
            Cache, HeadPath, Budget, Out, Json,
        };
        Budget.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--budget must be at least 1."); });
        command.SetHandler((parseResult, _) => TrainingErrors.Translate(() => Execute(parseResult)));
        return command;
    }

    private static int Execute(ParseResult parseResult)
    {
        var head = HeadOnnxImporter.Load(parseResult.GetValue(HeadPath)!).Head;
        string cachePath = parseResult.GetValue(Cache)!;
        CachedEmbeddings rows;
        using (var cache = EmbeddingCache.Open(cachePath)) rows = cache.ReadEmbeddings();
        if (rows.Dimension != head.InputDimension)
            throw new CliException($"The head takes {head.InputDimension}-d features but '{cachePath}' holds {rows.Dimension}-d embeddings: train the head on this cache first.");
        var candidates = Enumerable.Range(0, rows.Count).Where(i => string.IsNullOrEmpty(rows.Labels[i])).ToArray();
        var labelled = Enumerable.Range(0, rows.Count).Where(i => !string.IsNullOrEmpty(rows.Labels[i])).ToArray();
        if (candidates.Length == 0)
            throw new CliException($"'{cachePath}' has no unlabelled rows (every row has a label): extract the inputs to label with no label " +
                                   "(a flat folder, or a manifest whose label is empty) into this cache, then run suggest again.");

        var suggestions = new LabelSuggester(parseResult.GetValue(Budget)).Suggest(head, Gather(rows, candidates), Gather(rows, labelled), rows.Dimension);
        var csv = Manifest(rows, candidates, suggestions, head.Labels);
        string? outPath = parseResult.GetValue(Out);
        if (outPath is not null) Atomic(outPath, csv);
        if (parseResult.GetValue(Json))
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new SuggestJson(cachePath, parseResult.GetValue(HeadPath)!, head.Kind, candidates.Length, labelled.Length, suggestions.Count, outPath,
                suggestions.Select((s, r) => new SuggestionJson(r + 1, rows.Ids[candidates[s.Row]], rows.Sources[candidates[s.Row]], s.Score, s.Margin, s.Distance,
                    head.Labels[s.Predicted])).ToArray()), CliJson.Default.SuggestJson));
        else if (outPath is null) Console.Write(csv);
        else Console.WriteLine($"{suggestions.Count} of {candidates.Length} unlabelled inputs suggested for labelling ({labelled.Length} labelled) → {outPath}");
        return ExitCodes.Success;
    }

    private static float[] Gather(CachedEmbeddings rows, int[] indices)
    {
        var values = new float[(long)indices.Length * rows.Dimension];
        for (int i = 0; i < indices.Length; i++) rows.Row(indices[i]).CopyTo(values.AsSpan(i * rows.Dimension, rows.Dimension));
        return values;
    }

    private static string Manifest(CachedEmbeddings rows, int[] candidates, IReadOnlyList<LabelSuggestion> suggestions, IReadOnlyList<string> labels)
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', SuggestLayout.Columns).Append('\n');
        for (int r = 0; r < suggestions.Count; r++)
        {
            var s = suggestions[r];
            int row = candidates[s.Row];
            string[] fields =
            [
                rows.Ids[row], rows.Sources[row], "", rows.Splits[row] ?? "", (r + 1).ToString(CultureInfo.InvariantCulture),
                s.Score.ToString("G6", CultureInfo.InvariantCulture), s.Margin.ToString("G6", CultureInfo.InvariantCulture),
                s.Distance.ToString("G6", CultureInfo.InvariantCulture), labels[s.Predicted],
            ];
            csv.AppendJoin(',', fields.Select(Quote)).Append('\n');
        }
        return csv.ToString();
    }

    /// <summary>RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.</summary>
    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";

    private static void Atomic(string path, string text)
    {
        var full = Path.GetFullPath(path);
        var temporary = full + ".tmp";
        File.WriteAllText(temporary, text, new UTF8Encoding(false));
        File.Move(temporary, full, overwrite: true);
    }

    internal sealed record SuggestJson(string Cache, string Head, string HeadKind, int Unlabelled, int Labelled, int Suggested, string? Out,
        IReadOnlyList<SuggestionJson> Suggestions);

    internal sealed record SuggestionJson(int Rank, string Id, string Source, double Score, double Margin, double Distance, string Predicted);
}
