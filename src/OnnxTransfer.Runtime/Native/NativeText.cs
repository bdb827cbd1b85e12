using System.Runtime.InteropServices;
using System.Text;

namespace OnnxTransfer.Runtime.Native;

/// <summary>Strings across the ORT boundary: UTF-8 in, and ORT-allocated UTF-8 out (freed with the allocator that made it).</summary>
internal static unsafe class NativeText
{
    /// <summary>A null-terminated UTF-8 copy, for calls outside hot paths (pin it with <c>fixed</c>).</summary>
    public static byte[] Utf8z(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    /// <summary>A path as ORTCHAR_T*: UTF-16 on Windows, UTF-8 elsewhere.</summary>
    public static byte[] OrtPath(string path) =>
        OperatingSystem.IsWindows() ? Encoding.Unicode.GetBytes(path + '\0') : Utf8z(path);

    /// <summary>Reads a string ORT allocated with <paramref name="allocator"/> and frees it.</summary>
    public static string? TakeAllocated(OrtApi api, nint allocator, byte* text)
    {
        if (text == null) return null;
        try
        {
            return Marshal.PtrToStringUTF8((nint)text);
        }
        finally
        {
            OrtStatus.Check(api, api.AllocatorFree(allocator, text));
        }
    }

    /// <summary>A null-terminated UTF-8 copy in native memory, freed with <see cref="NativeMemory.Free"/> by its owner.</summary>
    public static byte* AllocUtf8z(string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        var buffer = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(text, new Span<byte>(buffer, length));
        buffer[length] = 0;
        return buffer;
    }
}
