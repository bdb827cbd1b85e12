using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace OnnxTransfer.Onnx.Tests;

/// <summary>
/// Reads the float32 reference tensors (.npy, little-endian, C order). A few lines of our own so this test project does
/// not depend on OnnxTransfer.Runtime, which is written in parallel.
/// </summary>
internal static partial class Npy
{
    public static (long[] Shape, float[] Data) ReadFloat32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path} is not a .npy file");
        var (headerStart, headerLength) = bytes[6] == 1
            ? (10, (int)BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)))
            : (12, (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        var header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        if (!header.Contains("'<f4'") || header.Contains("'fortran_order': True"))
            throw new InvalidDataException($"{path} is not a C-order little-endian float32 array: {header}");
        var shape = ShapePattern().Match(header).Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        var payload = bytes.AsSpan(headerStart + headerLength);
        for (var i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(payload[(4 * i)..]);
        return (shape, data);
    }

    public static void WriteFloat32(string path, ReadOnlySpan<float> data, params long[] shape)
    {
        var dims = string.Join(", ", shape) + (shape.Length == 1 ? "," : "");
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        var padded = header.PadRight((header.Length + 11 + 63) / 64 * 64 - 11) + "\n";
        using var stream = File.Create(path);
        stream.Write([0x93, .. "NUMPY"u8, 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)padded.Length));
        stream.Write(Encoding.ASCII.GetBytes(padded));
        foreach (var value in data) stream.Write(BitConverter.GetBytes(value));
    }

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
