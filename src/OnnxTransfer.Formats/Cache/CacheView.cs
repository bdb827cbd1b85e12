using System.Text.Json;

namespace OnnxTransfer.Formats;

/// <summary>
/// One view of the inputs a cache holds (<c>extract --views</c>): its id, the value of <see cref="CacheLayout.ViewColumn"/>
/// in its rows, and its name (<c>original</c>, <c>hflip</c>). Which transform a name stands for is the extractor's
/// (<c>OnnxTransfer.Features.Views.InputView</c>); the cache only records the pairing so a reader of the rows needs no code.
/// </summary>
public sealed record CacheView(int Id, string Name)
{
    /// <summary>The view every cache with views holds: the input as it is.</summary>
    public static CacheView Original { get; } = new(CacheLayout.OriginalViewId, "original");

    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", Id);
        writer.WriteString("name", Name);
        writer.WriteEndObject();
    }

    /// <exception cref="FormatException">Not an object with an integer id and a name.</exception>
    internal static CacheView FromJson(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("id", out var id) || !id.TryGetInt32(out var value) || value < 0
            || !element.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(name.GetString()))
            throw new FormatException($"a view must be {{\"id\": N, \"name\": \"…\"}}, not {element.GetRawText()}");
        return new CacheView(value, name.GetString()!);
    }

    /// <summary>"original, hflip", for messages.</summary>
    public static string Describe(IEnumerable<CacheView> views) => string.Join(", ", views.Select(v => v.Name));
}
