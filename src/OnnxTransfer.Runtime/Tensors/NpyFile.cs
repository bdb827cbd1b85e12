using System.Buffers.Binary;
using System.Globalization;
using System.Text;

using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxTransfer.Runtime;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1.0–3.0): a magic string, a Python-dict header with
/// <c>descr</c>, <c>fortran_order</c> and <c>shape</c>, then the raw elements. Only little-endian (or byte-sized),
/// C-ordered numeric arrays are supported, which is what <c>np.save</c> writes on every common platform.
/// </summary>
public static class NpyFile
{
    // Spelled as bytes: a "\x93NUMPY"u8 literal would UTF-8-encode U+0093 as two bytes (C2 93) and never match NumPy.
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static NpyArray Read(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return Read(stream);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
    }

    public static NpyArray Read(Stream stream)
    {
        Span<byte> preamble = stackalloc byte[8];
        stream.ReadExactly(preamble);
        if (!preamble[..6].SequenceEqual(Magic)) throw new FormatException("not a .npy file (bad magic)");
        int major = preamble[6];
        int headerLength;
        if (major == 1)
        {
            Span<byte> len = stackalloc byte[2];
            stream.ReadExactly(len);
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
        }
        else if (major is 2 or 3)
        {
            Span<byte> len = stackalloc byte[4];
            stream.ReadExactly(len);
            var value = BinaryPrimitives.ReadUInt32LittleEndian(len);
            if (value > 1 << 20) throw new FormatException($"header length {value} is implausible");
            headerLength = (int)value;
        }
        else
        {
            throw new FormatException($"unsupported .npy format version {major}");
        }

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var (elementType, fortranOrder, shape) = ParseHeader(header);
        if (fortranOrder) throw new FormatException("Fortran-ordered arrays are not supported; save with np.ascontiguousarray");

        long count = 1;
        foreach (var dim in shape) count = checked(count * dim);
        var byteCount = checked(count * elementType.SizeInBytes());
        if (stream.CanSeek && stream.Length - stream.Position < byteCount)
            throw new FormatException($"file holds {stream.Length - stream.Position} data bytes, shape needs {byteCount}");
        var data = new byte[byteCount];
        stream.ReadExactly(data);
        return new NpyArray(elementType, shape, data);
    }

    public static void Write(string path, NpyArray array)
    {
        // Written under a temporary name and renamed, so a crash never leaves a half file under the final name.
        var temporary = path + ".tmp-" + Environment.ProcessId;
        using (var stream = File.Create(temporary))
            Write(stream, array);
        File.Move(temporary, path, overwrite: true);
    }

    public static void Write(Stream stream, NpyArray array)
    {
        var shape = array.Shape.Length switch
        {
            0 => "()",
            1 => $"({array.Shape[0]},)",
            _ => "(" + string.Join(", ", array.Shape) + ")",
        };
        var header = $"{{'descr': '{Descriptor(array.ElementType)}', 'fortran_order': False, 'shape': {shape}, }}";
        // Pad with spaces and end with '\n' so that magic + length + header is a multiple of 64 bytes, as NumPy does.
        var unpadded = 6 + 2 + 2 + header.Length + 1;
        header += new string(' ', (64 - unpadded % 64) % 64) + "\n";

        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, checked((ushort)header.Length));
        stream.Write(len);
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(array.Data);
    }

    private static string Descriptor(TensorElementType type) => type switch
    {
        TensorElementType.Float => "<f4",
        TensorElementType.Double => "<f8",
        TensorElementType.Float16 => "<f2",
        TensorElementType.Int8 => "|i1",
        TensorElementType.UInt8 => "|u1",
        TensorElementType.Int16 => "<i2",
        TensorElementType.UInt16 => "<u2",
        TensorElementType.Int32 => "<i4",
        TensorElementType.UInt32 => "<u4",
        TensorElementType.Int64 => "<i8",
        TensorElementType.UInt64 => "<u8",
        TensorElementType.Bool => "|b1",
        _ => throw new NotSupportedException($"{type} cannot be stored in a .npy file"),
    };

    private static TensorElementType FromDescriptor(string descr)
    {
        if (descr.Length == 3 && descr[0] == '>' && descr[2] != '1')
            throw new FormatException($"big-endian dtype '{descr}' is not supported");
        var normalized = descr.Length == 3 && descr[0] is '=' or '|' or '<' ? descr[1..] : descr;
        return normalized switch
        {
            "f4" => TensorElementType.Float,
            "f8" => TensorElementType.Double,
            "f2" => TensorElementType.Float16,
            "i1" => TensorElementType.Int8,
            "u1" => TensorElementType.UInt8,
            "i2" => TensorElementType.Int16,
            "u2" => TensorElementType.UInt16,
            "i4" => TensorElementType.Int32,
            "u4" => TensorElementType.UInt32,
            "i8" => TensorElementType.Int64,
            "u8" => TensorElementType.UInt64,
            "b1" => TensorElementType.Bool,
            _ => throw new FormatException($"unsupported dtype '{descr}'"),
        };
    }

    private static (TensorElementType Type, bool FortranOrder, long[] Shape) ParseHeader(string header)
    {
        string descr = ValueOf(header, "descr");
        string fortran = ValueOf(header, "fortran_order");
        string shapeText = ValueOf(header, "shape");

        var shape = shapeText.Trim('(', ')', ' ')
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new FormatException($"bad dimension '{d}' in shape"))
            .ToArray();
        return (FromDescriptor(descr.Trim('\'', '"')), fortran == "True", shape);
    }

    /// <summary>Extracts the text of one entry of the header dict: a quoted string, a tuple, or a bare word.</summary>
    private static string ValueOf(string header, string key)
    {
        var keyAt = header.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (keyAt < 0) keyAt = header.IndexOf($"\"{key}\"", StringComparison.Ordinal);
        if (keyAt < 0) throw new FormatException($"header has no '{key}'");
        var colon = header.IndexOf(':', keyAt);
        if (colon < 0) throw new FormatException($"header entry '{key}' has no value");
        var start = colon + 1;
        while (start < header.Length && header[start] == ' ') start++;
        if (start >= header.Length) throw new FormatException($"header entry '{key}' has no value");
        int end = header[start] switch
        {
            '(' => header.IndexOf(')', start) + 1,
            '\'' => header.IndexOf('\'', start + 1) + 1,
            '"' => header.IndexOf('"', start + 1) + 1,
            _ => header.IndexOfAny([',', '}'], start),
        };
        if (end <= start) throw new FormatException($"header entry '{key}' is malformed");
        return header[start..end].Trim();
    }
}
