using System.Text.Json;

namespace OnnxTransfer.Text.Input;

/// <summary>How a JSONL line's id, label or split field reads as text, the same for text inputs and image manifests.</summary>
public static class JsonScalar
{
    /// <summary>A string, number (as written) or boolean field as text; null when absent, null or not a scalar.</summary>
    public static string? Field(JsonElement root, string? name)
    {
        if (name is null || !root.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }
}
