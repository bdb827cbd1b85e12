using Microsoft.ML.OnnxRuntime;

namespace OnnxTransfer.Runtime;

/// <summary>
/// One batch's input and output tensors bound to a session once (ONNX Runtime's IOBinding) and run again for every batch
/// the buffers hold: no per-run name lookup or value lists, and beside a CUDA provider the host↔device copies go straight
/// from and to the batch's pinned <see cref="HostTensor"/>s. Made by <see cref="ModelSession.Bind"/>; the binding is its
/// own native handle, the tensors stay their owner's.
/// </summary>
/// <remarks>One run at a time per binding (a batch is run by one thread); distinct bindings may run at once.</remarks>
public sealed class BoundRun : IDisposable
{
    private readonly ModelSession _session;
    private readonly OrtIoBinding _binding;

    internal BoundRun(ModelSession session, OrtIoBinding binding)
    {
        _session = session;
        _binding = binding;
    }

    /// <summary>Runs the model over the bound tensors; the outputs are in their tensors when it returns.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before or during the run.</exception>
    public void Run(CancellationToken cancellationToken = default) => _session.RunBound(_binding, cancellationToken);

    public void Dispose() => _binding.Dispose();
}
