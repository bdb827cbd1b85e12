using System.Text.Json;
using System.Text.Json.Serialization;
using OnnxTransfer.Training.Calibration;

namespace OnnxTransfer.Training.Reports;

/// <summary>
/// System.Text.Json's source-generated serializer for the training report (no reflection: AOT-safe). Names are
/// snake_case; a number that is not finite is mapped to null before it gets here (JSON has no NaN).
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ReportDocument))]
internal sealed partial class TrainingJsonContext : JsonSerializerContext;

/// <summary>Name/value pairs (settings, report context) as one JSON object, in their order (for source-generated documents).</summary>
public sealed class PairsConverter : JsonConverter<IReadOnlyList<KeyValuePair<string, string>>>
{
    public override IReadOnlyList<KeyValuePair<string, string>> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("The report is written, never read back.");

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<KeyValuePair<string, string>> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, text) in value) writer.WriteString(name, text);
        writer.WriteEndObject();
    }
}

/// <summary>The <c>calibration</c> object as <see cref="CalibrationReport.WriteFields"/> writes it for every document.</summary>
internal sealed class CalibrationConverter : JsonConverter<CalibrationReport>
{
    public override CalibrationReport Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("The report is written, never read back.");

    public override void Write(Utf8JsonWriter writer, CalibrationReport value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        value.WriteFields(writer);
        writer.WriteEndObject();
    }
}
