using System.Runtime.InteropServices;

namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>
/// Ctrl-C / SIGINT / SIGTERM for the long-running commands (extract, score), as schedulers send them: the first signal
/// cancels <see cref="Graceful"/>, so the run finishes or commits what it has and exits 130 (a rerun resumes); a second
/// cancels <see cref="Immediate"/> and, unless the command watches that token, lets the process end at once with the
/// signal's default handling. Scoped to one run, so the default handling is back afterwards.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _graceful;
    private readonly CancellationTokenSource _immediate = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly Action<PosixSignal> _onFirstSignal;
    private readonly bool _commandHandlesSecondSignal;
    private int _signals;

    /// <param name="outer">The invocation's token, linked into <see cref="Graceful"/>.</param>
    /// <param name="onFirstSignal">Says what happens now (the command's log format: plain or JSON lines).</param>
    /// <param name="commandHandlesSecondSignal">True when the command watches <see cref="Immediate"/> and stops itself.</param>
    public StopSignals(CancellationToken outer, Action<PosixSignal> onFirstSignal, bool commandHandlesSecondSignal)
    {
        _graceful = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _onFirstSignal = onFirstSignal;
        _commandHandlesSecondSignal = commandHandlesSecondSignal;
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }

    /// <summary>Cancelled by the first signal: stop at the next safe point.</summary>
    public CancellationToken Graceful => _graceful.Token;

    /// <summary>Cancelled by the second signal: stop now.</summary>
    public CancellationToken Immediate => _immediate.Token;

    private void Handle(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) == 1)
        {
            context.Cancel = true;
            _onFirstSignal(context.Signal);
            _graceful.Cancel();
            return;
        }
        _immediate.Cancel();
        context.Cancel = _commandHandlesSecondSignal;
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _graceful.Dispose();
        _immediate.Dispose();
    }
}
