namespace OnnxTransfer.Imaging.Native;

/// <summary>
/// One call of a libvips operation the way libvips' language bindings make it (no C varargs, see <see cref="LibVips"/>):
/// create by name, set arguments, build through the operation cache, read outputs, dispose.
/// </summary>
/// <example><code>
/// using var call = new VipsOperationCall("colourspace");
/// call.SetImage("in", image);
/// call.SetOptions("space=srgb");
/// call.Build();
/// using var srgb = call.GetImage("out");
/// </code></example>
internal sealed class VipsOperationCall : IDisposable
{
    private readonly VipsOperationHandle _operation;

    internal VipsOperationCall(string name)
    {
        VipsRuntime.EnsureInitialized();
        Name = name;
        _operation = new VipsOperationHandle(VipsErrors.CheckPointer(LibVips.OperationNew(name), name));
    }

    internal string Name { get; }

    private nint Pointer => _operation.DangerousGetHandle();

    /// <summary>Sets optional arguments from libvips' option syntax, e.g. <c>"shrink=2,fail_on=truncated"</c>.</summary>
    internal void SetOptions(string options)
    {
        if (options.Length == 0) return;
        VipsErrors.Check(LibVips.ObjectSetFromString(Pointer, options), Name);
    }

    internal unsafe void SetImage(string argument, VipsImageHandle image)
    {
        var value = default(GValue);
        LibVips.GValueInit(&value, LibVips.ImageGetType());
        LibVips.GValueSetObject(&value, image.DangerousGetHandle());
        LibVips.GObjectSetProperty(Pointer, argument, &value);
        LibVips.GValueUnset(&value);
    }

    /// <summary>
    /// Passes caller memory as a <c>VipsBlob</c> without copying. The memory must stay pinned and unchanged until this
    /// call and every image it produced are disposed.
    /// </summary>
    internal unsafe void SetBlob(string argument, byte* data, nuint length)
    {
        var blob = LibVips.BlobNew(0, data, length); // no free function: libvips never frees our memory
        var value = default(GValue);
        LibVips.GValueInit(&value, LibVips.BlobGetType());
        LibVips.GValueSetBoxed(&value, blob);
        LibVips.GObjectSetProperty(Pointer, argument, &value);
        LibVips.GValueUnset(&value);
        LibVips.AreaUnref(blob);
    }

    /// <summary>Runs the operation (for loaders: reads the header; pixels are decoded later, on demand).</summary>
    internal void Build()
    {
        var operation = Pointer;
        var status = LibVips.CacheOperationBuildp(ref operation);
        if (operation != Pointer) _operation.ReplaceAfterBuild(operation);
        VipsErrors.Check(status, Name);
    }

    internal unsafe VipsImageHandle GetImage(string argument)
    {
        var value = default(GValue);
        LibVips.GValueInit(&value, LibVips.ImageGetType());
        LibVips.GObjectGetProperty(Pointer, argument, &value);
        var image = LibVips.GValueGetObject(&value);
        if (image != 0) LibVips.GObjectRef(image); // our own reference; the GValue's goes with g_value_unset
        LibVips.GValueUnset(&value);
        return image != 0 ? new VipsImageHandle(image) : throw new VipsException(Name, $"output '{argument}' was not set");
    }

    internal unsafe byte[] GetBlobBytes(string argument)
    {
        var value = default(GValue);
        LibVips.GValueInit(&value, LibVips.BlobGetType());
        LibVips.GObjectGetProperty(Pointer, argument, &value);
        try
        {
            var blob = LibVips.GValueGetBoxed(&value);
            if (blob == 0) throw new VipsException(Name, $"output '{argument}' was not set");
            var data = LibVips.BlobGet(blob, out var length);
            return new ReadOnlySpan<byte>(data, checked((int)length)).ToArray();
        }
        finally { LibVips.GValueUnset(&value); }
    }

    public void Dispose() => _operation.Dispose();
}
