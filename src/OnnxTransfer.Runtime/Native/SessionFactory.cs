namespace OnnxTransfer.Runtime.Native;

/// <summary>
/// Creates the native session, applying the provider fallback rule: an accelerator that fails when the session
/// starts (no GPU, missing CUDA libraries) is retried on CPU under FallbackToCpu, and refused with a diagnosis under
/// Strict. A model ORT rejects becomes a <see cref="ModelLoadException"/> that says what to do.
/// </summary>
internal static unsafe class SessionFactory
{
    public static OrtSessionHandle Create(
        ModelSource source, SessionOptions options, OrtEnvironment environment, WarningLog warnings, out List<string> registered)
    {
        registered = [];
        var api = environment.Library.Api;
        OrtException failure;
        using (var native = NativeSessionOptions.Create(options, environment, cpuOnly: false, warnings, registered))
        {
            var status = CreateNative(api, environment, source, native.Pointer, out var session);
            if (status == 0) return new OrtSessionHandle(session);
            failure = OrtStatus.ToException(api, status);
        }

        var accelerator = registered.Count > 1 ? registered[0] : null;
        if (accelerator is null || !ProviderDiagnostics.LooksLikeCudaFailure(failure.NativeMessage))
            throw LoadFailure(source, environment.Library, failure);
        if (options.ProviderFallback == ProviderFallback.Strict)
            throw new ExecutionProviderUnavailableException(accelerator, ProviderDiagnostics.CudaUnavailable(environment.Library, failure.NativeMessage), failure);

        using (var cpuOnly = NativeSessionOptions.Create(options, environment, cpuOnly: true, warnings, registered))
        {
            var status = CreateNative(api, environment, source, cpuOnly.Pointer, out var session);
            if (status != 0) throw LoadFailure(source, environment.Library, OrtStatus.ToException(api, status));
            warnings.Add($"{accelerator} failed when the session started, running on CPU instead. " +
                         ProviderDiagnostics.CudaUnavailable(environment.Library, failure.NativeMessage));
            return new OrtSessionHandle(session);
        }
    }

    private static nint CreateNative(OrtApi api, OrtEnvironment environment, ModelSource source, nint options, out nint session)
    {
        nint created = 0;
        nint status;
        if (source.Path is { } path)
        {
            fixed (byte* p = NativeText.OrtPath(path))
                status = api.CreateSession(environment.Pointer, p, options, &created);
        }
        else
        {
            using var pin = source.Bytes.Pin();
            status = api.CreateSessionFromArray(environment.Pointer, pin.Pointer, (nuint)source.Bytes.Length, options, &created);
        }
        session = created;
        return status;
    }

    private static ModelLoadException LoadFailure(ModelSource source, OrtLibrary library, OrtException cause)
    {
        var advice = cause.ErrorCode switch
        {
            OrtErrorCode.InvalidProtobuf =>
                "The data is not a complete ONNX model (truncated, or not ONNX at all): export or download it again and compare its sha256.",
            OrtErrorCode.NoSuchFile => "A file the model refers to (external weights?) is missing: keep it beside the model.",
            OrtErrorCode.NotImplemented =>
                $"The model uses an operator or type that ONNX Runtime {library.Version} on these providers does not implement: re-export it with another opset or without that operator.",
            _ when cause.NativeMessage.Contains("Protobuf parsing failed", StringComparison.OrdinalIgnoreCase) =>
                "The data is not a complete ONNX model (truncated, or not ONNX at all): export or download it again and compare its sha256.",
            _ => $"The model is not valid for ONNX Runtime {library.Version}: check it with onnx.checker and its opset version.",
        };
        return new ModelLoadException(source.Path, $"Cannot load the model {source.Description}: {cause.NativeMessage.TrimEnd()} {advice}", cause);
    }
}
