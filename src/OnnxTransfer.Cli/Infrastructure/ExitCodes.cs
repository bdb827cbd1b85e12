namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>Process exit codes, the same for every command (documented in docs/cli.md) so schedulers can act on them.</summary>
public static class ExitCodes
{
    /// <summary>The command did all its work.</summary>
    public const int Success = 0;

    /// <summary>The command line is wrong (unknown option, missing argument, invalid value).</summary>
    public const int Usage = 1;

    /// <summary>An input, model, cache or native library is missing or invalid; nothing was half done.</summary>
    public const int InputError = 2;

    /// <summary>The run finished but more inputs failed than <c>--max-errors</c> allows.</summary>
    public const int TooManyBadInputs = 3;

    /// <summary>
    /// The same code as <see cref="TooManyBadInputs"/>, for the same situation: the command finished, but its result is
    /// below a threshold the user set (<c>verify</c>: --min-cosine or --min-top1).
    /// </summary>
    public const int BelowThreshold = TooManyBadInputs;

    /// <summary>Interrupted (Ctrl-C / SIGINT / SIGTERM) after finishing the unit of work in progress; rerun to continue.</summary>
    public const int Interrupted = 130;
}
