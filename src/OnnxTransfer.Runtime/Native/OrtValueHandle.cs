using System.Buffers;

namespace OnnxTransfer.Runtime.Native;

/// <summary>
/// An <c>OrtValue*</c>, plus the pin on the managed memory it points into when it was made over a <c>Memory&lt;T&gt;</c>.
/// The pin is dropped only after ORT has released the value, so the GC can never move memory ORT still reads.
/// </summary>
internal sealed unsafe class OrtValueHandle(nint pointer, MemoryHandle pin = default) : OrtHandle(pointer)
{
    private MemoryHandle _pin = pin;

    protected override bool ReleaseHandle()
    {
        OrtLibrary.Shared.Api.ReleaseValue(handle);
        _pin.Dispose();
        _pin = default;
        return true;
    }
}
