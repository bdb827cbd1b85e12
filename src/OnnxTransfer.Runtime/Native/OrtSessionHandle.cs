using System.Runtime.InteropServices;

namespace OnnxTransfer.Runtime.Native;

/// <summary>
/// An <c>OrtSession*</c> together with the native block holding its input and output names as UTF-8. The names are
/// handed to every <c>Run</c>, so they are freed only after the session itself, when the last concurrent run has let
/// go of the handle.
/// </summary>
internal sealed unsafe class OrtSessionHandle(nint pointer) : OrtHandle(pointer)
{
    private readonly List<nint> _ownedNames = [];

    /// <summary>Copies <paramref name="name"/> to native memory owned by this handle and returns it.</summary>
    public nint AddName(string name)
    {
        var copy = (nint)NativeText.AllocUtf8z(name);
        _ownedNames.Add(copy);
        return copy;
    }

    protected override bool ReleaseHandle()
    {
        OrtLibrary.Shared.Api.ReleaseSession(handle);
        foreach (var name in _ownedNames) NativeMemory.Free((void*)name);
        _ownedNames.Clear();
        return true;
    }
}
