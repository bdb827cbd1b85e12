namespace OnnxTransfer.Runtime.Native;

/// <summary>Warnings raised while a session is built: kept for <see cref="InferenceSession.Warnings"/> and passed on
/// to the caller's sink as they happen.</summary>
internal sealed class WarningLog(Action<string>? sink)
{
    private readonly List<string> _warnings = [];

    public IReadOnlyList<string> Warnings => _warnings;

    public void Add(string warning)
    {
        _warnings.Add(warning);
        sink?.Invoke(warning);
    }
}
