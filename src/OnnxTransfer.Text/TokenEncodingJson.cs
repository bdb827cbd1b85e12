using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OnnxTransfer.Text;

/// <summary>
/// Renders a <see cref="TokenEncoding"/> as one JSON object — <c>ids</c>, <c>type_ids</c>, <c>attention_mask</c>,
/// <c>tokens</c>, <c>offsets</c> (<c>[[start, end], …]</c>) — the shape of Hugging Face's encoding, for
/// <c>onnxtransfer tokenize</c> (one object per line). No reflection: written with <see cref="Utf8JsonWriter"/>.
/// </summary>
public static class TokenEncodingJson
{
    // Tokens are text to read back, not HTML: keep non-ASCII characters as they are instead of \u escapes.
    private static readonly JsonWriterOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>Writes the encoding as a JSON object at the writer's current position.</summary>
    public static void Write(Utf8JsonWriter writer, TokenEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoding);
        writer.WriteStartObject();
        WriteNumbers(writer, "ids", encoding.Ids);
        WriteNumbers(writer, "type_ids", encoding.TypeIds);
        WriteNumbers(writer, "attention_mask", encoding.AttentionMask);
        writer.WriteStartArray("tokens");
        foreach (var token in encoding.Tokens) writer.WriteStringValue(token);
        writer.WriteEndArray();
        writer.WriteStartArray("offsets");
        foreach (var offset in encoding.Offsets)
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(offset.Start);
            writer.WriteNumberValue(offset.End);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Appends the encoding as one line of JSON (UTF-8, ending in <c>\n</c>) to <paramref name="output"/>.</summary>
    public static void WriteLine(IBufferWriter<byte> output, TokenEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(output);
        using (var writer = new Utf8JsonWriter(output, LineOptions)) Write(writer, encoding);
        output.Write("\n"u8);
    }

    /// <summary>The encoding as a JSON string (no trailing newline).</summary>
    public static string ToJson(TokenEncoding encoding)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, LineOptions)) Write(writer, encoding);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteNumbers(Utf8JsonWriter writer, string name, ReadOnlySpan<int> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteNumberValue(value);
        writer.WriteEndArray();
    }
}
