using System.Text.Json;

namespace OnnxTransfer.Features.Specs;

/// <summary>
/// Reads one JSON object field by field and refuses what it does not know: a misspelt key must fail loudly, because a
/// silently ignored <c>"l2_normalise"</c> would change embeddings without anyone noticing. Field paths in messages are
/// dotted (<c>image.mean</c>).
/// </summary>
internal sealed class StrictJsonObject
{
    private readonly JsonElement _element;
    private readonly string _path;
    private readonly string _source;

    public StrictJsonObject(JsonElement element, string path, string source)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new BackboneSpecException($"{source}: {Describe(path)} must be a JSON object, not {Kind(element)}.");
        _element = element;
        _path = path;
        _source = source;
    }

    public bool Has(string name) => _element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public string RequiredString(string name) =>
        OptionalString(name) ?? throw Error($"{Field(name)} is missing: add it.");

    public string? OptionalString(string name)
    {
        if (!TryGet(name, out var value)) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Error($"{Field(name)} must be a string, not {Kind(value)}.");
    }

    public int? OptionalInt(string name, int minimum, int maximum)
    {
        if (!TryGet(name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
            throw Error($"{Field(name)} must be a whole number, not {value.GetRawText()}.");
        if (number < minimum || number > maximum)
            throw Error($"{Field(name)} is {number}; it must be between {minimum} and {maximum}.");
        return number;
    }

    public bool? OptionalBool(string name)
    {
        if (!TryGet(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"{Field(name)} must be true or false, not {value.GetRawText()}."),
        };
    }

    /// <summary>An array of exactly <paramref name="count"/> finite numbers.</summary>
    public float[]? OptionalNumbers(string name, int count)
    {
        if (!TryGet(name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != count)
            throw Error($"{Field(name)} must be an array of {count} numbers, not {value.GetRawText()}.");
        var result = new float[count];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetSingle(out var number) || !float.IsFinite(number))
                throw Error($"{Field(name)}[{i}] must be a finite number, not {item.GetRawText()}.");
            result[i++] = number;
        }
        return result;
    }

    public StrictJsonObject? OptionalObject(string name) =>
        TryGet(name, out var value) ? new StrictJsonObject(value, Join(name), _source) : null;

    public StrictJsonObject RequiredObject(string name) =>
        OptionalObject(name) ?? throw Error($"{Field(name)} is missing: add the \"{name}\" section.");

    /// <summary>Refuses any field that no getter asked for.</summary>
    public void RefuseUnknown(IReadOnlyCollection<string> known)
    {
        foreach (var property in _element.EnumerateObject())
        {
            if (known.Contains(property.Name)) continue;
            throw Error($"{Field(property.Name)} is not a field of {Describe(_path)}; the known fields are {string.Join(", ", known.Select(k => $"\"{k}\""))}. " +
                        "Check the spelling (names are lower-case with underscores).");
        }
    }

    public BackboneSpecException Error(string message) => new($"{_source}: {message}");

    private bool TryGet(string name, out JsonElement value)
    {
        return _element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }

    private string Join(string name) => _path.Length == 0 ? name : $"{_path}.{name}";

    private string Field(string name) => $"\"{Join(name)}\"";

    private static string Describe(string path) => path.Length == 0 ? "the spec" : $"\"{path}\"";

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };
}
