using System.Runtime.InteropServices;

namespace OnnxTransfer.Runtime.Native;

// One SafeHandle type per kind of ONNX Runtime object, each releasing with its own ORT Release function: every native
// object has exactly one owner, is released exactly once, and is never released while a call that uses it is running
// (callers take DangerousAddRef around native calls that may race with Dispose).

/// <summary>Base of the ORT object owners: a non-null pointer owned by this handle.</summary>
internal abstract class OrtHandle : SafeHandle
{
    protected OrtHandle(nint pointer) : base(0, ownsHandle: true) => SetHandle(pointer);

    public override bool IsInvalid => handle == 0;

    /// <summary>The raw pointer, for passing to ORT while the caller keeps this handle alive.</summary>
    public nint Pointer => handle;
}

/// <summary>An <c>OrtEnv*</c>. The process-wide environment keeps one for the life of the process.</summary>
internal sealed unsafe class OrtEnvHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Shared.Api.ReleaseEnv(handle);
        return true;
    }
}

/// <summary>An <c>OrtSessionOptions*</c>; ORT copies what it needs into a session, so this lives only while a session is created.</summary>
internal sealed unsafe class OrtSessionOptionsHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Shared.Api.ReleaseSessionOptions(handle);
        return true;
    }
}



/// <summary>An <c>OrtRunOptions*</c>.</summary>
internal sealed unsafe class OrtRunOptionsHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Shared.Api.ReleaseRunOptions(handle);
        return true;
    }
}

/// <summary>An <c>OrtMemoryInfo*</c>.</summary>
internal sealed unsafe class OrtMemoryInfoHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Shared.Api.ReleaseMemoryInfo(handle);
        return true;
    }
}

/// <summary>An <c>OrtTypeInfo*</c> (a session input's or output's type). Tensor info cast from it is owned by it.</summary>
internal sealed unsafe class OrtTypeInfoHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Shared.Api.ReleaseTypeInfo(handle);
        return true;
    }
}

/// <summary>An <c>OrtTensorTypeAndShapeInfo*</c> returned by <c>GetTensorTypeAndShape</c>.</summary>
internal sealed unsafe class OrtTensorTypeAndShapeInfoHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Shared.Api.ReleaseTensorTypeAndShapeInfo(handle);
        return true;
    }
}

/// <summary>An <c>OrtModelMetadata*</c>.</summary>
internal sealed unsafe class OrtModelMetadataHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Shared.Api.ReleaseModelMetadata(handle);
        return true;
    }
}

/// <summary>An <c>OrtThreadingOptions*</c>, needed only while the environment is created.</summary>
internal sealed unsafe class OrtThreadingOptionsHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Shared.Api.ReleaseThreadingOptions(handle);
        return true;
    }
}

/// <summary>An <c>OrtCUDAProviderOptionsV2*</c>, needed only while it is appended to session options.</summary>
internal sealed unsafe class OrtCudaProviderOptionsHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Shared.Api.ReleaseCudaProviderOptions(handle);
        return true;
    }
}
