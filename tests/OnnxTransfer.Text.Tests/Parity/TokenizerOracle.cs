using System.Buffers;
using System.Text;
using System.Text.Json;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Text.Tests.Parity;

/// <summary>One request to <c>tools/node/tokenizers-encode.mjs</c>.</summary>
public sealed record OracleRequest(string Text, string? Pair = null, int? MaxLength = null,
    TruncationStrategy Strategy = TruncationStrategy.LongestFirst, SequenceSide Side = SequenceSide.Right);

/// <summary>What one oracle answered: ids, type ids, tokens, and for the Rust library mask and offsets, or an error.</summary>
public sealed record OracleEncoding(int[] Ids, int[] TypeIds, string[] Tokens, int[]? AttentionMask, (int, int)[]? Offsets, string? Error);

/// <summary>Both oracles' answers to one request; either is null when that oracle did not answer.</summary>
public sealed record OracleAnswer(OracleEncoding? Js, OracleEncoding? Rust);

/// <summary>
/// Runs the Hugging Face reference tokenizers in one Node process for a whole list of requests: the pure-JS port
/// (<c>@huggingface/tokenizers</c>, always) and the Rust library's Node bindings (<c>tokenizers</c>, when installed).
/// </summary>
public static class TokenizerOracle
{
    public static (string? RustVersion, List<OracleAnswer> Answers) Encode(IReadOnlyList<OracleRequest> requests)
    {
        var input = new ArrayBufferWriter<byte>(requests.Count * 128);
        foreach (var request in requests)
        {
            using (var writer = new Utf8JsonWriter(input))
            {
                writer.WriteStartObject();
                writer.WriteString("text", request.Text);
                if (request.Pair is not null) writer.WriteString("pair", request.Pair);
                if (request.MaxLength is { } max)
                {
                    writer.WriteNumber("max_length", max);
                    writer.WriteString("strategy", request.Strategy.ToString());
                    writer.WriteString("direction", request.Side.ToString());
                }
                writer.WriteEndObject();
            }
            input.Write("\n"u8);
        }

        var output = NodeOracle.Run("tokenizers-encode.mjs", [SharedData.BertBaseUncasedTokenizer],
            Encoding.UTF8.GetString(input.WrittenSpan), TimeSpan.FromMinutes(10));
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != requests.Count + 1)
            throw new InvalidOperationException($"The oracle answered {lines.Length - 1} lines for {requests.Count} requests.");

        string? rustVersion;
        using (var header = JsonDocument.Parse(lines[0]))
        {
            var rs = header.RootElement.GetProperty("oracles").GetProperty("rs");
            rustVersion = rs.ValueKind == JsonValueKind.String ? rs.GetString() : null;
        }

        var answers = new List<OracleAnswer>(requests.Count);
        for (var i = 1; i < lines.Length; i++)
        {
            using var document = JsonDocument.Parse(lines[i]);
            answers.Add(new OracleAnswer(Read(document.RootElement.GetProperty("js")), Read(document.RootElement.GetProperty("rs"))));
        }
        return (rustVersion, answers);
    }

    private static OracleEncoding? Read(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null) return null;
        if (element.TryGetProperty("error", out var error)) return new OracleEncoding([], [], [], null, null, error.GetString());
        return new OracleEncoding(
            Ints(element.GetProperty("ids")),
            Ints(element.GetProperty("type_ids")),
            [.. element.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!)],
            element.TryGetProperty("attention_mask", out var mask) ? Ints(mask) : null,
            element.TryGetProperty("offsets", out var offsets)
                ? [.. offsets.EnumerateArray().Select(o => (o[0].GetInt32(), o[1].GetInt32()))]
                : null,
            null);
    }

    private static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];
}
