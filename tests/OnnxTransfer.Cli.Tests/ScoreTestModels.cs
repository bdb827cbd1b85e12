using System.Globalization;
using System.Text;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Parquet;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// What the compose/predict/score tests run on, built once: a head trained on the MobileNetV2 embeddings of the
/// hymenoptera train split (extracted and trained in-process, exported with the cache fingerprint), and the fused
/// model made from it by the CLI's <c>compose</c>. The val split (153 images in label folders) is the scoring input.
/// </summary>
internal sealed class ScoreTestModels
{
    private static readonly Lazy<ScoreTestModels> Shared = new(() => new ScoreTestModels());

    public static ScoreTestModels Instance => Shared.Value;

    public static string ValFolder => Path.Combine(SharedData.Hymenoptera, "val");

    private ScoreTestModels()
    {
        Folder = Path.Combine(Path.GetTempPath(), $"cli-score-models-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(Folder, true); } catch (IOException) { } };

        using var backbone = ImageBackbone.Load(BackboneSpecFile.Load(ExtractCliRunner.MobileNetV2Spec));
        var cacheFolder = Path.Combine(Folder, "cache");
        using (var cache = EmbeddingCache.OpenForWriting(cacheFolder, ExtractionPipeline.ManifestFor(backbone)))
            new ExtractionPipeline(backbone).Run(InputSet.Open(Path.Combine(SharedData.Hymenoptera, "train")), cache);
        CachedEmbeddings rows;
        using (var cache = EmbeddingCache.Open(cacheFolder)) rows = cache.ReadEmbeddings();
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 0.1 })
            .Fit(EmbeddingSet.Create("train", rows.Values, rows.Dimension, rows.Labels.Select(l => l!).ToArray()));
        HeadPath = Path.Combine(Folder, "head.onnx");
        HeadOnnxExporter.Save(head, HeadPath, new HeadExportOptions { Fingerprint = backbone.Fingerprint });

        FusedPath = Path.Combine(Folder, "fused.onnx");
        var (code, stdout, stderr) = ExtractCliRunner.Run("compose", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", HeadPath, "--out", FusedPath);
        if (code != 0) throw new InvalidOperationException($"compose failed ({code}): {stdout}{stderr}");
        ComposeOutput = stdout;
    }

    public string Folder { get; }

    public string HeadPath { get; }

    public string FusedPath { get; }

    public string ComposeOutput { get; }

    /// <summary>Every row of a scores folder's Parquet parts as one text line per id (all columns), for exact comparisons.</summary>
    public static SortedDictionary<string, string> ReadRows(string folder, string pattern = "*.parquet")
    {
        var rows = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder, pattern).Order(StringComparer.Ordinal))
        {
            using var reader = ParquetFileReader.Open(file);
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var group = reader.OpenRowGroup(g);
                var ids = group.ReadStrings("id");
                var sources = group.ReadStrings("source");
                var labels = group.ReadStrings("label");
                var probability = group.ReadColumn("probability");
                var topLabels = group.ReadColumn("top_k_labels");
                var topProbabilities = group.ReadColumn("top_k_probabilities");
                var truth = group.ReadStrings("true_label");
                var errors = group.ReadStrings("error");
                var messages = group.ReadStrings("error_message");
                for (var i = 0; i < ids.Length; i++)
                {
                    var line = new StringBuilder();
                    line.Append(sources[i]).Append('|').Append(labels[i]).Append('|');
                    line.Append(probability.IsValueNull(i) ? "null" : probability.GetValues<float>()[i].ToString("R", CultureInfo.InvariantCulture)).Append('|');
                    line.Append(topLabels.IsRowNull(i) ? "null" : string.Join(",", topLabels.GetList<string?>(i).ToArray())).Append('|');
                    line.Append(topProbabilities.IsRowNull(i) ? "null" : string.Join(",", topProbabilities.GetList<float>(i).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append('|');
                    line.Append(truth[i]).Append('|').Append(errors[i]).Append('|').Append(messages[i]);
                    if (!rows.TryAdd(ids[i]!, line.ToString())) throw new InvalidOperationException($"id '{ids[i]}' appears twice in {folder}");
                }
            }
        }
        return rows;
    }

    /// <summary>Part and marker files with their bytes, for byte-for-byte comparisons of two runs.</summary>
    public static SortedDictionary<string, byte[]> ReadFiles(string folder)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith('.')) continue;
            files[name] = File.ReadAllBytes(file);
        }
        return files;
    }
}
