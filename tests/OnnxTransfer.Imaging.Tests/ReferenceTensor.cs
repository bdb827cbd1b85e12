using System.Buffers.Binary;
using System.Text;

namespace OnnxTransfer.Imaging.Tests;

/// <summary>
/// Reads the float32 reference tensors (.npy v1/v2, little-endian, C order). A few lines of our own rather than a
/// reference to OnnxTransfer.Runtime, so this test project builds while that project is being changed.
/// </summary>
internal static class ReferenceTensor
{
    internal static (float[] Values, int[] Shape) ReadFloat32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (!(bytes.Length > 10 && bytes[0] == 0x93 && bytes.AsSpan(1, 5).SequenceEqual("NUMPY"u8)))
            throw new InvalidDataException($"{path} is not a .npy file");
        var major = bytes[6];
        var headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        var headerStart = major == 1 ? 10 : 12;
        var header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        if (!header.Contains("'<f4'") || header.Contains("'fortran_order': True"))
            throw new InvalidDataException($"{path}: expected little-endian float32 in C order, header {header}");
        var shapeText = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..];
        shapeText = shapeText[..shapeText.IndexOf(')')];
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        var data = bytes.AsSpan(headerStart + headerLength);
        var values = new float[data.Length / 4];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]);
        if (values.Length != shape.Aggregate(1, (a, b) => a * b))
            throw new InvalidDataException($"{path}: {values.Length} values for shape ({shapeText})");
        return (values, shape);
    }
}
