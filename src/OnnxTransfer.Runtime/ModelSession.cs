using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace OnnxTransfer.Runtime;

/// <summary>
/// ONNX Runtime's <see cref="InferenceSession"/> with what is ours around it: our provider choice applied (CUDA first
/// when asked, strict or falling back to CPU with a warning), failures explained (<see cref="CudaDiagnostics"/>, model
/// errors with advice), the providers that actually run reported, and a run that honours a cancellation token.
/// </summary>
/// <remarks>Run is thread-safe: ONNX Runtime's session is, and the cancellation options are per thread.</remarks>
public sealed class ModelSession : IDisposable
{
    // A run is synchronous on its thread, so one RunOptions per thread is never used by two runs at once, and the hot
    // path creates none per call.
    [ThreadStatic] private static RunOptions? t_runOptions;

    private readonly Lock _allocatorGate = new();
    private OrtMemoryInfo? _pinnedInfo;     // CUDA_PINNED, made with the allocator on first use
    private OrtAllocator? _pinnedAllocator;
    private bool _pinnedUnavailable;
    private bool _disposed;
    private readonly List<string> _warnings;
    private readonly Action<string>? _warningSink;

    private ModelSession(InferenceSession session, IReadOnlyList<string> activeProviders, List<string> warnings, Action<string>? warningSink)
    {
        _warnings = warnings;
        _warningSink = warningSink;
        Session = session;
        ActiveProviders = activeProviders;
    }

    /// <summary>The official session: its metadata, inputs, outputs and every Run overload.</summary>
    public InferenceSession Session { get; }

    /// <summary>The providers the session runs on, in priority order, e.g. ["CPUExecutionProvider"] or
    /// ["CUDAExecutionProvider", "CPUExecutionProvider"].</summary>
    public IReadOnlyList<string> ActiveProviders { get; }

    /// <summary>
    /// Warnings raised while the session was built (e.g. CUDA fell back to CPU) or later used (pinned host memory that
    /// could not be had).
    /// </summary>
    public IReadOnlyList<string> Warnings
    {
        get { lock (_allocatorGate) return [.. _warnings]; }
    }

    /// <summary>Input names in the model's order.</summary>
    public IReadOnlyList<string> InputNames => Session.InputNames;

    /// <summary>Output names in the model's order.</summary>
    public IReadOnlyList<string> OutputNames => Session.OutputNames;

    /// <summary>Loads a model file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist, or is a directory.</exception>
    public static ModelSession Open(string modelPath, SessionSettings settings)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (Directory.Exists(modelPath)) throw new FileNotFoundException($"The model path '{modelPath}' is a directory; name the .onnx file.", modelPath);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"The model file '{modelPath}' does not exist.", modelPath);
        return Open(modelPath, null, settings);
    }

    /// <summary>Loads a model from its serialized bytes (e.g. a model edited in memory).</summary>
    public static ModelSession Open(byte[] model, SessionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Length == 0) throw new ArgumentException("The model bytes are empty.", nameof(model));
        return Open(null, model, settings);
    }

    /// <summary>
    /// Runs into caller-owned output tensors (allocated once per batch shape and reused), so a batch loop allocates no
    /// tensors. A cancelled <paramref name="cancellationToken"/> terminates the run in ONNX Runtime.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before or during the run.</exception>
    public void Run(IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs,
        IReadOnlyCollection<string> outputNames, IReadOnlyCollection<OrtValue> outputs, CancellationToken cancellationToken = default) =>
        Cancellable(cancellationToken, options =>
        {
            Session.Run(options, inputNames, inputs, outputNames, outputs);
            return 0;
        });

    /// <summary>True when the CUDA provider runs the session (it did not fall back to CPU).</summary>
    public bool UsesCuda => ActiveProviders.Contains(CudaExecutionProvider.ProviderName);

    /// <summary>
    /// A float tensor of <paramref name="shape"/> in host memory for a batch to reuse: page-locked (CUDA_PINNED, from
    /// this session's allocator) when <paramref name="pinned"/> is asked and the session runs on CUDA; a managed array
    /// otherwise (page-locked memory exists only beside a CUDA provider, and a CPU run gains nothing from it). Pinned
    /// memory the provider will not give is a warning, once, and managed memory: slower copies, the same results.
    /// </summary>
    public HostTensor CreateHostTensor(long[] shape, bool pinned)
    {
        if (!pinned || !UsesCuda || PinnedAllocator() is not { } allocator) return HostTensor.Managed(shape);
        try
        {
            return HostTensor.Allocated(shape, allocator);
        }
        catch (OnnxRuntimeException e)
        {
            PinnedMemoryUnavailable(e);
            return HostTensor.Managed(shape);
        }
    }

    /// <summary>
    /// Binds tensors to this session's inputs and outputs once (IOBinding), for a batch whose buffers are run again and
    /// again with the same shapes.
    /// </summary>
    public BoundRun Bind(IReadOnlyList<string> inputNames, IReadOnlyList<OrtValue> inputs, IReadOnlyList<string> outputNames, IReadOnlyList<OrtValue> outputs)
    {
        if (inputNames.Count != inputs.Count || outputNames.Count != outputs.Count) throw new ArgumentException("One value per name.");
        var binding = Session.CreateIoBinding();
        try
        {
            for (var i = 0; i < inputs.Count; i++) binding.BindInput(inputNames[i], inputs[i]);
            for (var i = 0; i < outputs.Count; i++) binding.BindOutput(outputNames[i], outputs[i]);
            return new BoundRun(this, binding);
        }
        catch (OnnxRuntimeException e)
        {
            binding.Dispose();
            throw Unexplained(e);
        }
    }

    internal void RunBound(OrtIoBinding binding, CancellationToken cancellationToken) =>
        Cancellable(cancellationToken, options =>
        {
            Session.RunWithBinding(options, binding);
            return 0;
        });

    /// <summary>
    /// The session's CUDA_PINNED allocator, made on first use; null once pinned memory proved unavailable (the allocator
    /// or an allocation refused: the rest of the run uses managed memory rather than fail part-way).
    /// </summary>
    private OrtAllocator? PinnedAllocator()
    {
        lock (_allocatorGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pinnedUnavailable) return null;
            if (_pinnedAllocator is not null) return _pinnedAllocator;
            _pinnedInfo = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.CpuOutput);
            try
            {
                return _pinnedAllocator = new OrtAllocator(Session, _pinnedInfo);
            }
            catch (OnnxRuntimeException e)
            {
                PinnedMemoryUnavailable(e);
                return null;
            }
        }
    }

    private void PinnedMemoryUnavailable(OnnxRuntimeException cause)
    {
        lock (_allocatorGate)
        {
            if (_pinnedUnavailable) return;
            _pinnedUnavailable = true;
            var message = $"Pinned host memory is unavailable ({cause.Message.Trim()}); batches use pageable memory: slower copies to the GPU, the same results.";
            _warnings.Add(message);
            _warningSink?.Invoke(message);
        }
    }

    /// <summary>Runs and returns the named outputs in memory ONNX Runtime allocated (dispose the result).</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before or during the run.</exception>
    public IDisposableReadOnlyCollection<OrtValue> Run(IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs,
        IReadOnlyCollection<string> outputNames, CancellationToken cancellationToken = default) =>
        Cancellable(cancellationToken, options => Session.Run(options, inputNames, inputs, outputNames));

    private static T Cancellable<T>(CancellationToken cancellationToken, Func<RunOptions, T> run)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var options = t_runOptions ??= new RunOptions();
        var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((RunOptions)state!).Terminate = true, options)
            : default;
        try
        {
            return run(options);
        }
        catch (OnnxRuntimeException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The run was cancelled.", e, cancellationToken);
        }
        catch (OnnxRuntimeException e)
        {
            throw Unexplained(e);
        }
        finally
        {
            registration.Dispose(); // waits for a callback in flight, so the reset below is the last word
            if (options.Terminate) options.Terminate = false;
        }
    }

    /// <summary>Releases the session and its pinned-memory allocator (dispose the host tensors it made first).</summary>
    public void Dispose()
    {
        lock (_allocatorGate)
        {
            if (_disposed) return;
            _disposed = true;
            _pinnedAllocator?.Dispose();
            _pinnedInfo?.Dispose();
        }
        Session.Dispose();
    }

    private static ModelSession Open(string? path, byte[]? bytes, SessionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _ = RuntimeLog.Environment; // our logging function is in place before ONNX Runtime says anything
        var warnings = new List<string>();
        void Warn(string message)
        {
            warnings.Add(message);
            settings.WarningSink?.Invoke(message);
        }

        if (settings.ExecutionProviders.OfType<CudaExecutionProvider>().FirstOrDefault() is { } cuda)
        {
            var mark = RuntimeLog.Mark;
            try
            {
                return new ModelSession(Create(path, bytes, settings, cuda), [cuda.Name, CpuExecutionProvider.ProviderName], warnings, settings.WarningSink);
            }
            catch (OnnxRuntimeException e) when (IsProviderFailure(e))
            {
                var explanation = CudaDiagnostics.Explain(e.Message, RuntimeLog.Since(mark));
                if (settings.ProviderFallback == ProviderFallback.Strict)
                    throw new ExecutionProviderUnavailableException(cuda.Name, explanation, e);
                Warn($"{cuda.Name} is unavailable, running on CPU instead. {explanation}");
            }
            catch (OnnxRuntimeException e)
            {
                throw Unexplained(e);
            }
        }
        return new ModelSession(Create(path, bytes, settings, cuda: null), [CpuExecutionProvider.ProviderName], warnings, settings.WarningSink);
    }

    private static InferenceSession Create(string? path, byte[]? bytes, SessionSettings settings, CudaExecutionProvider? cuda)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = settings.EffectiveIntraOpThreads,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", settings.AllowSpinning ? "1" : "0");
        foreach (var (key, value) in settings.ConfigEntries) options.AddSessionConfigEntry(key, value);
        if (cuda is not null)
        {
            using var cudaOptions = new OrtCUDAProviderOptions();
            var values = new Dictionary<string, string>(cuda.Options) { ["device_id"] = cuda.DeviceId.ToString(CultureInfo.InvariantCulture) };
            cudaOptions.UpdateOptions(values);
            options.AppendExecutionProvider_CUDA(cudaOptions);
        }
        try
        {
            return path is not null ? new InferenceSession(path, options) : new InferenceSession(bytes!, options);
        }
        catch (OnnxRuntimeException e) when (cuda is null || !IsProviderFailure(e))
        {
            throw LoadFailure(path, bytes, e);
        }
    }

    /// <summary>
    /// ONNX Runtime refused something we have no advice for; ours, so callers catch one library's type, with its
    /// message kept whole.
    /// </summary>
    private static RuntimeException Unexplained(OnnxRuntimeException cause) => new($"ONNX Runtime: {cause.Message}", cause);

    /// <summary>True when ONNX Runtime's error reads as the CUDA stack failing rather than the model.</summary>
    private static bool IsProviderFailure(OnnxRuntimeException e) =>
        e.Message.Contains("CUDA", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("cudnn", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("cublas", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("providers_", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("shared library", StringComparison.OrdinalIgnoreCase);

    private static ModelLoadException LoadFailure(string? path, byte[]? bytes, OnnxRuntimeException cause)
    {
        // ONNX Runtime's error code is internal to its package; its message starts with "[ErrorCode:Name]".
        var code = cause.Message.StartsWith("[ErrorCode:", StringComparison.Ordinal) ? cause.Message[11..cause.Message.IndexOf(']')] : "";
        var advice = code switch
        {
            "InvalidProtobuf" =>
                "The data is not a complete ONNX model (truncated, or not ONNX at all): export or download it again and compare its sha256.",
            "NoSuchFile" => "A file the model refers to (external weights?) is missing: keep it beside the model.",
            "NotImplemented" =>
                $"The model uses an operator or type that ONNX Runtime {RuntimeInfo.Version} does not implement: re-export it with another opset or without that operator.",
            _ when cause.Message.Contains("Protobuf parsing failed", StringComparison.OrdinalIgnoreCase) =>
                "The data is not a complete ONNX model (truncated, or not ONNX at all): export or download it again and compare its sha256.",
            _ => $"The model is not valid for ONNX Runtime {RuntimeInfo.Version}: check it with onnx.checker and its opset version.",
        };
        var source = path is null ? $"({bytes!.Length} bytes in memory)" : $"'{path}'";
        return new ModelLoadException(path, $"Cannot load the model {source}: {cause.Message.TrimEnd()} {advice}", cause);
    }
}
