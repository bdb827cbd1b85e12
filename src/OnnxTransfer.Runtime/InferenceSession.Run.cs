using System.Runtime.CompilerServices;
using OnnxTransfer.Runtime.Native;

namespace OnnxTransfer.Runtime;

public sealed unsafe partial class InferenceSession
{
    // Name and value arrays for ORT live on the stack up to this many entries (every real model); beyond, on the heap.
    private const int StackLimit = 64;

    // Run options for calls that bring a cancellation token but no options. A run is synchronous on its thread, so one
    // instance per thread is never used by two runs at once, and the hot path allocates none per call.
    [ThreadStatic] private static RunOptions? t_cancellationOptions;

    /// <summary>Runs the model on one input and returns every output (ORT allocates them; dispose the result).</summary>
    public RunResult Run(string inputName, OrtValue input, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        Run([inputName], [input], default, options, cancellationToken);

    /// <summary>
    /// Runs the model and returns the named outputs (all outputs when <paramref name="outputNames"/> is empty), in
    /// ORT-allocated memory read in place through the result. Inputs are checked against the model first (names,
    /// element types, ranks, fixed sizes) and refused with a <see cref="TensorMismatchException"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled or <see cref="RunOptions.Terminate"/> was called.</exception>
    public RunResult Run(
        ReadOnlySpan<string> inputNames, ReadOnlySpan<OrtValue> inputs, ReadOnlySpan<string> outputNames = default,
        RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var names = outputNames.IsEmpty ? AllOutputNames() : outputNames.ToArray();
        var produced = new OrtValue?[names.Length];
        RunCore(inputNames, inputs, names, default, produced, options, cancellationToken);
        return new RunResult(names, produced!);
    }

    /// <summary>
    /// The hot path: runs the model writing into caller-provided output tensors (e.g. allocated once per batch size
    /// and reused), so a batch loop allocates nothing per call. Outputs are checked like inputs before the run.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled or <see cref="RunOptions.Terminate"/> was called.</exception>
    public void Run(
        ReadOnlySpan<string> inputNames, ReadOnlySpan<OrtValue> inputs, ReadOnlySpan<string> outputNames,
        ReadOnlySpan<OrtValue> outputs, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (outputNames.Length != outputs.Length)
            throw new ArgumentException($"{outputNames.Length} output names but {outputs.Length} output tensors.", nameof(outputs));
        if (outputNames.IsEmpty) throw new ArgumentException("Name at least one output to run into.", nameof(outputNames));
        RunCore(inputNames, inputs, outputNames, outputs, default, options, cancellationToken);
    }

    private string[] AllOutputNames()
    {
        var names = new string[_outputs.Length];
        for (int i = 0; i < names.Length; i++) names[i] = _outputs[i].Name;
        return names;
    }

    /// <summary>
    /// One run: validate, pin every handle for the duration of the native call, wire cancellation, call ORT, and turn
    /// its status into the right exception. Either <paramref name="preallocated"/> or <paramref name="produced"/> is used.
    /// </summary>
    private void RunCore(
        ReadOnlySpan<string> inputNames, ReadOnlySpan<OrtValue> inputs, ReadOnlySpan<string> outputNames,
        ReadOnlySpan<OrtValue> preallocated, Span<OrtValue?> produced, RunOptions? options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (inputNames.Length != inputs.Length)
            throw new ArgumentException($"{inputNames.Length} input names but {inputs.Length} input tensors.", nameof(inputs));

        int inCount = inputNames.Length, outCount = outputNames.Length;
        Span<nint> inNames = inCount <= StackLimit ? stackalloc nint[inCount] : new nint[inCount];
        Span<nint> inValues = inCount <= StackLimit ? stackalloc nint[inCount] : new nint[inCount];
        Span<nint> outNames = outCount <= StackLimit ? stackalloc nint[outCount] : new nint[outCount];
        Span<nint> outValues = outCount <= StackLimit ? stackalloc nint[outCount] : new nint[outCount];
        Span<bool> given = _inputs.Length <= StackLimit ? stackalloc bool[_inputs.Length] : new bool[_inputs.Length];
        given.Clear();
        outValues.Clear();

        for (int i = 0; i < inCount; i++)
        {
            if (!_inputIndex.TryGetValue(inputNames[i], out var index)) throw UnknownName("input", inputNames[i], _inputs);
            CheckTensor("Input", _inputs[index], inputs[i]);
            given[index] = true;
            inNames[i] = _inputNames[index];
        }
        if (given.Contains(false)) throw MissingInput(given);

        for (int i = 0; i < outCount; i++)
        {
            if (!_outputIndex.TryGetValue(outputNames[i], out var index)) throw UnknownName("output", outputNames[i], _outputs);
            if (!preallocated.IsEmpty) CheckTensor("Output", _outputs[index], preallocated[i]);
            outNames[i] = _outputNames[index];
        }

        RunOptions? threadOptions = null;
        CancellationTokenRegistration registration = default;
        bool sessionAdded = false, optionsAdded = false;
        int inputsAdded = 0, outputsAdded = 0;
        nint status;
        try
        {
            _handle.DangerousAddRef(ref sessionAdded);
            for (; inputsAdded < inCount; inputsAdded++) inValues[inputsAdded] = AddRef(inputs[inputsAdded]);
            for (; outputsAdded < preallocated.Length; outputsAdded++) outValues[outputsAdded] = AddRef(preallocated[outputsAdded]);

            if (cancellationToken.CanBeCanceled)
            {
                options ??= threadOptions = t_cancellationOptions ??= new RunOptions();
                registration = cancellationToken.UnsafeRegister(static state => ((RunOptions)state!).Terminate(), options);
            }
            nint runOptions = 0;
            if (options is not null)
            {
                options.Handle.DangerousAddRef(ref optionsAdded);
                runOptions = options.Handle.Pointer;
            }

            fixed (nint* inNamesPointer = inNames)
            fixed (nint* inValuesPointer = inValues)
            fixed (nint* outNamesPointer = outNames)
            fixed (nint* outValuesPointer = outValues)
            {
                status = _api.Run(_handle.Pointer, runOptions, (byte**)inNamesPointer, inValuesPointer, (nuint)inCount,
                    (byte**)outNamesPointer, (nuint)outCount, outValuesPointer);
            }
        }
        finally
        {
            registration.Dispose();
            if (optionsAdded) options!.Handle.DangerousRelease();
            if (threadOptions?.IsTerminateRequested == true) threadOptions.ResetTerminate(); // ready for this thread's next run
            for (int i = 0; i < inputsAdded; i++) inputs[i].Handle.DangerousRelease();
            for (int i = 0; i < outputsAdded; i++) preallocated[i].Handle.DangerousRelease();
            if (sessionAdded) _handle.DangerousRelease();
        }

        if (status != 0)
        {
            // A failed run leaves no outputs, but release any ORT allocated before failing.
            if (preallocated.IsEmpty)
                foreach (var value in outValues) if (value != 0) _api.ReleaseValue(value);
            var error = OrtStatus.ToException(_api, status);
            if (cancellationToken.IsCancellationRequested || options?.IsTerminateRequested == true)
                throw new OperationCanceledException($"The run was cancelled: {error.NativeMessage}", error, cancellationToken);
            throw error;
        }

        if (preallocated.IsEmpty) WrapOutputs(outValues, produced);
    }

    private void WrapOutputs(Span<nint> outValues, Span<OrtValue?> produced)
    {
        int wrapped = 0;
        try
        {
            for (; wrapped < outValues.Length; wrapped++) produced[wrapped] = OrtValue.FromNative(_api, outValues[wrapped]);
        }
        catch
        {
            for (int i = 0; i < wrapped; i++) produced[i]!.Dispose();
            for (int i = wrapped + 1; i < outValues.Length; i++) _api.ReleaseValue(outValues[i]);
            throw;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint AddRef(OrtValue value)
    {
        var added = false;
        value.Handle.DangerousAddRef(ref added); // throws ObjectDisposedException for a disposed value
        return value.Handle.Pointer;
    }

    /// <summary>Refuses a tensor the model cannot take, naming it and what was expected; cheap checks only, and no
    /// allocation unless something is wrong (this runs on every call of the hot path).</summary>
    private static void CheckTensor(string role, ValueMetadata declared, OrtValue value)
    {
        ArgumentNullException.ThrowIfNull(value, declared.Name);
        if (value.IsDisposed) throw new ObjectDisposedException(nameof(OrtValue), $"{role} '{declared.Name}' was disposed before the run.");
        if (declared.ValueType != OnnxValueType.Tensor || declared.Shape is null) return; // ORT checks the rest
        if (!value.IsTensor || value.ElementType != declared.ElementType || !declared.Shape.Accepts(value.Shape, out _))
            throw Mismatch(role, declared, value);
    }

    private static TensorMismatchException Mismatch(string role, ValueMetadata declared, OrtValue value)
    {
        var shape = declared.Shape!;
        var expected = $"{declared.ElementType.DisplayName()}{shape}";
        if (!value.IsTensor)
            return new TensorMismatchException(declared.Name, expected, value.ValueType.ToString(),
                $"{role} '{declared.Name}' must be a tensor {expected}, but the value given is a {value.ValueType}.");

        var actual = $"{value.ElementType.DisplayName()}{TensorShape.Format(value.Shape)}";
        if (value.ElementType != declared.ElementType)
            return new TensorMismatchException(declared.Name, expected, actual,
                $"{role} '{declared.Name}' must hold {declared.ElementType.DisplayName()} elements but the tensor given holds " +
                $"{value.ElementType.DisplayName()} ({actual}): create it from {ClrName(declared.ElementType)} data.");

        shape.Accepts(value.Shape, out var bad);
        var detail = bad < 0
            ? $"rank {shape.Rank} expected, got rank {value.Shape.Length}"
            : $"dimension {bad} must be {shape[bad]}, got {value.Shape[bad]}";
        return new TensorMismatchException(declared.Name, expected, actual,
            $"{role} '{declared.Name}' must have shape {shape} but the tensor given has shape {TensorShape.Format(value.Shape)}: {detail}.");
    }

    private static string ClrName(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float",
        TensorElementType.Double => "double",
        TensorElementType.Int64 => "long",
        TensorElementType.Int32 => "int",
        TensorElementType.Int16 => "short",
        TensorElementType.Int8 => "sbyte",
        TensorElementType.UInt64 => "ulong",
        TensorElementType.UInt32 => "uint",
        TensorElementType.UInt16 => "ushort",
        TensorElementType.UInt8 => "byte",
        TensorElementType.Bool => "bool",
        TensorElementType.Float16 => "Half (or ushort bits)",
        TensorElementType.BFloat16 => "ushort bits",
        _ => type.DisplayName(),
    };

    private static TensorMismatchException UnknownName(string role, string name, ValueMetadata[] declared)
    {
        var known = string.Join(", ", declared.Select(v => $"'{v.Name}'"));
        return new TensorMismatchException(name, $"one of {known}", $"'{name}'",
            $"The model has no {role} named '{name}'. Its {role}s are: {known}.");
    }

    private TensorMismatchException MissingInput(ReadOnlySpan<bool> given)
    {
        var missing = _inputs[given.IndexOf(false)];
        var all = string.Join(", ", _inputs.Select(v => $"'{v.Name}'"));
        return new TensorMismatchException(missing.Name, missing.ToString(), "nothing",
            $"Input '{missing.Name}' ({missing}) was not given; the model needs all of {all}.");
    }
}
