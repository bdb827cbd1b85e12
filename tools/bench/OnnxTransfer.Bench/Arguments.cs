using System.Globalization;

namespace OnnxTransfer.Bench;

/// <summary>Minimal <c>--name value</c> parsing: the bench is driven by tools/bench/run.sh, not by people.</summary>
public sealed class Arguments(string[] args)
{
    public string Required(string name) => Optional(name) ?? throw new ArgumentException($"missing --{name}");

    public string? Optional(string name)
    {
        var index = Array.IndexOf(args, "--" + name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    public int Int(string name, int fallback) =>
        Optional(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) =>
        Optional(name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
