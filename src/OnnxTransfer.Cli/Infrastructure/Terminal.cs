namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>Whether output goes to a person (tables, progress bars) or to a machine (plain or JSON lines).</summary>
public static class Terminal
{
    public static bool StdoutIsTerminal => !Console.IsOutputRedirected;
    public static bool StderrIsTerminal => !Console.IsErrorRedirected;
}
