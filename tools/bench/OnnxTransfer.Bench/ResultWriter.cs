using System.Text.Json;

namespace OnnxTransfer.Bench;

/// <summary>
/// One JSON line per result on stdout: the shape every peer prints too, so tools/bench/report.mjs can pair
/// measurements of the same suite, case and metric and compute ratios.
/// </summary>
public static class ResultWriter
{
    public static void Write(string suite, string @case, string impl, string metric, double value, bool lowerIsBetter,
        IReadOnlyDictionary<string, string>? details = null)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("suite", suite);
            json.WriteString("case", @case);
            json.WriteString("impl", impl);
            json.WriteString("metric", metric);
            json.WriteNumber("value", Math.Round(value, 6));
            json.WriteBoolean("lower_is_better", lowerIsBetter);
            if (details is not null)
            {
                json.WriteStartObject("details");
                foreach (var (key, text) in details) json.WriteString(key, text);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        Console.Out.Flush();
    }
}
