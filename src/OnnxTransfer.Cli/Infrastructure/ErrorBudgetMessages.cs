using System.Globalization;

namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>How extract and score say why a run failed its error budget.</summary>
internal static class ErrorBudgetMessages
{
    /// <summary>"not-found ×3, invalid-utf8 ×1": the three most common reasons, most common first.</summary>
    public static string MostCommon(IReadOnlyDictionary<string, int> errorsByReason) =>
        string.Join(", ", errorsByReason.OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).Take(3)
            .Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key} ×{e.Value}")));
}
