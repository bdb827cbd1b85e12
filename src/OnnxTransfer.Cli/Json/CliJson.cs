using System.Text.Json;
using System.Text.Json.Serialization;
using OnnxTransfer.Formats;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Features.Models;

namespace OnnxTransfer.Cli.Json;

/// <summary>
/// The <c>--json</c> output of the commands, by source-generated serialization (no reflection: the NativeAOT binary
/// keeps it). Property names are the snake_case of the C# names, in declaration order; nulls are written as null.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    Converters = [typeof(NumericsConverter), typeof(RawJsonConverter), typeof(DimensionConverter)])]
[JsonSerializable(typeof(Commands.BackboneCommand.BackboneJson))]
[JsonSerializable(typeof(Commands.CacheCommand.InfoJson))]
[JsonSerializable(typeof(Dictionary<string, Commands.DoctorCommand.CheckResultJson>))]
[JsonSerializable(typeof(Commands.InspectCommand.ModelJson))]
[JsonSerializable(typeof(Commands.InspectCommand.FeatureJson))]
[JsonSerializable(typeof(Commands.InspectCommand.FeatureProblemJson))]
[JsonSerializable(typeof(Commands.PredictCommand.PredictionJson))]
[JsonSerializable(typeof(Commands.PredictCommand.FailureJson))]
[JsonSerializable(typeof(Commands.VerifyCommand.ReportJson))]
[JsonSerializable(typeof(Commands.SuggestCommand.SuggestJson))]
internal sealed partial class CliJson : JsonSerializerContext
{
    /// <summary>Writes <paramref name="value"/> to stdout as indented JSON and a final newline.</summary>
    public static void Print<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        using var stdout = Console.OpenStandardOutput();
        JsonSerializer.Serialize(stdout, value, type);
        stdout.WriteByte((byte)'\n');
    }
}

/// <summary>A numerics record is written by its own format code (<see cref="EmbeddingNumerics.Write"/>), once.</summary>
internal sealed class NumericsConverter : JsonConverter<EmbeddingNumerics>
{
    public override EmbeddingNumerics Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("The CLI only writes numerics.");

    public override void Write(Utf8JsonWriter writer, EmbeddingNumerics value, JsonSerializerOptions options) => value.Write(writer);
}

/// <summary>JSON text that is embedded as it is (e.g. a fingerprint's canonical form, whose bytes are hashed).</summary>
internal readonly record struct RawJson(string Json);

internal sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("The CLI only writes raw JSON.");

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) => writer.WriteRawValue(value.Json);
}

/// <summary>A dimension is its size, its symbol (e.g. "batch") or null when neither is known.</summary>
internal sealed class DimensionConverter : JsonConverter<ShapeDimension>
{
    public override ShapeDimension Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("The CLI only writes shapes.");

    public override void Write(Utf8JsonWriter writer, ShapeDimension value, JsonSerializerOptions options)
    {
        if (value.Size is { } size) writer.WriteNumberValue(size);
        else if (value.Symbol is { } symbol) writer.WriteStringValue(symbol);
        else writer.WriteNullValue();
    }
}
