using OnnxTransfer.Text;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// Tokens per second of our BERT tokenizer on a corpus (SST-2: one sentence per line, the label prefix dropped), one
/// thread, warm: every sentence encoded with [CLS]/[SEP], no truncation, as many passes as asked, the median pass timed.
/// The peers (peers/tokenizers_node.mjs) run Hugging Face's JavaScript port and the Rust library's Node binding on the
/// same corpus and tokenizer, counting tokens the same way (ids per encoding, specials included).
/// </summary>
public static class TextTokenizer
{
    public static void Run(Arguments options)
    {
        var tokenizer = BertTokenizer.FromDirectory(options.Required("tokenizer"));
        var sentences = Corpus.Read(options.Required("corpus"), options.Optional("label-prefix") != "0");
        var iterations = options.Int("iterations", 5);
        var warmup = options.Int("warmup", 2);
        var label = options.Optional("label") ?? Path.GetFileNameWithoutExtension(options.Required("corpus"));

        long tokens = 0;
        foreach (var sentence in sentences) tokens += tokenizer.Encode(sentence).Length;
        var measurement = Measurement.Run(warmup, iterations, () =>
        {
            foreach (var sentence in sentences) tokenizer.Encode(sentence);
        });
        var @case = $"{label} ({sentences.Count} sentences, {tokens} tokens)";
        ResultWriter.Write("text", @case, "onnxtransfer", "tokens/s", tokens / (measurement.Median / 1000), lowerIsBetter: false,
            new Dictionary<string, string> { ["ms per pass (median)"] = measurement.Median.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) });
    }
}

/// <summary>The sentences of a corpus file, one per line; with a label prefix the first word is dropped.</summary>
internal static class Corpus
{
    public static List<string> Read(string path, bool labelPrefix) =>
        [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l => labelPrefix && l.IndexOf(' ') is var space and > 0 ? l[(space + 1)..] : l)];
}
