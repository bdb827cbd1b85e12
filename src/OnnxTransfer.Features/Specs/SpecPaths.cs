using System.Text;

namespace OnnxTransfer.Features.Specs;

/// <summary>
/// Paths in specs: <c>${VAR}</c> and <c>${VAR:-default}</c> are expanded from the environment (shell rules: the default
/// applies when the variable is unset or empty), then a relative path is taken from the spec's folder, so a spec
/// works from any current directory.
/// </summary>
public static class SpecPaths
{
    /// <summary>Expands variables in <paramref name="value"/>.</summary>
    /// <exception cref="BackboneSpecException">A variable without default is unset, or a <c>${</c> is not closed.</exception>
    public static string Expand(string value, string field)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Contains("${", StringComparison.Ordinal)) return value;
        var result = new StringBuilder(value.Length + 32);
        var at = 0;
        while (at < value.Length)
        {
            var open = value.IndexOf("${", at, StringComparison.Ordinal);
            if (open < 0) { result.Append(value, at, value.Length - at); break; }
            result.Append(value, at, open - at);
            var close = value.IndexOf('}', open + 2);
            if (close < 0)
                throw new BackboneSpecException($"{field} '{value}' has a '${{' without its closing '}}'. Write ${{NAME}} or ${{NAME:-default}}.");
            var body = value.AsSpan(open + 2, close - open - 2);
            var separator = body.IndexOf(":-", StringComparison.Ordinal);
            var name = (separator < 0 ? body : body[..separator]).ToString();
            if (name.Length == 0 || !IsVariableName(name))
                throw new BackboneSpecException($"{field} '{value}' names an invalid variable '{name}'. Write ${{NAME}} or ${{NAME:-default}}.");
            var variable = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(variable))
            {
                if (separator < 0)
                    throw new BackboneSpecException(
                        $"{field} '{value}' uses ${{{name}}}, which is not set. Set {name}, or give a default: ${{{name}:-path}}.");
                variable = body[(separator + 2)..].ToString();
            }
            result.Append(variable);
            at = close + 1;
        }
        return result.ToString();
    }

    /// <summary>Expands variables, then makes the path absolute against <paramref name="baseDirectory"/>.</summary>
    public static string Resolve(string value, string? baseDirectory, string field)
    {
        var expanded = Expand(value, field);
        if (expanded.Length == 0) throw new BackboneSpecException($"{field} is empty: give the path of the file.");
        if (expanded.StartsWith("~/", StringComparison.Ordinal))
            expanded = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), expanded[2..]);
        return Path.GetFullPath(Path.IsPathRooted(expanded) ? expanded : Path.Combine(baseDirectory ?? Directory.GetCurrentDirectory(), expanded));
    }

    private static bool IsVariableName(string name)
    {
        if (!(char.IsAsciiLetter(name[0]) || name[0] == '_')) return false;
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_')) return false;
        return true;
    }
}
