using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OnnxTransfer.Formats;

/// <summary>
/// Canonical JSON: object keys sorted ordinally, no whitespace, numbers in their shortest round-trip form, only the
/// escapes JSON requires. Two equal values always give the same bytes, so the text can be hashed and compared.
/// Values are <see cref="string"/>, <see cref="bool"/>, <see cref="int"/>, <see cref="long"/>, <see cref="float"/>,
/// <see cref="float"/>[], nested <see cref="SortedDictionary{TKey,TValue}"/> objects, or null.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>A new object node (keys kept sorted).</summary>
    public static SortedDictionary<string, object?> Object() => new(StringComparer.Ordinal);

    public static string Write(SortedDictionary<string, object?> value)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, Options)) WriteValue(writer, value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Re-writes any JSON object canonically (keys sorted at every level; numbers kept as written). Used to compare a
    /// fingerprint read from a file with one computed now, whatever formatting the file has.
    /// </summary>
    public static string Normalize(string json)
    {
        using var document = JsonDocument.Parse(json);
        var buffer = new ArrayBufferWriter<byte>(json.Length);
        using (var writer = new Utf8JsonWriter(buffer, Options)) WriteElement(writer, document.RootElement);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Every leaf of a JSON object as <c>dotted.path → raw JSON value</c> (for listing differences).</summary>
    public static SortedDictionary<string, string> Flatten(string json)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        Flatten(document.RootElement, "", result);
        return result;
    }

    private static void Flatten(JsonElement element, string path, SortedDictionary<string, string> into)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
                Flatten(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}", into);
            return;
        }
        into[path] = element.GetRawText();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case int i: writer.WriteNumberValue(i); break;
            case long l: writer.WriteNumberValue(l); break;
            case float f: WriteFloat(writer, f); break;
            case float[] array:
                writer.WriteStartArray();
                foreach (var f in array) WriteFloat(writer, f);
                writer.WriteEndArray();
                break;
            case SortedDictionary<string, object?> obj:
                writer.WriteStartObject();
                foreach (var (key, item) in obj)
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, item);
                }
                writer.WriteEndObject();
                break;
            default:
                throw new ArgumentException($"CanonicalJson cannot write a {value.GetType().Name}.", nameof(value));
        }
    }

    // float.ToString("R") is the shortest text that parses back to the same float32 (0.485, not 0.48500001430511475).
    private static void WriteFloat(Utf8JsonWriter writer, float value)
    {
        if (!float.IsFinite(value)) throw new ArgumentException($"CanonicalJson cannot write {value}.", nameof(value));
        writer.WriteRawValue(value.ToString("R", CultureInfo.InvariantCulture), skipInputValidation: false);
    }

    private static void WriteElement(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteElement(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) WriteElement(writer, item);
                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
