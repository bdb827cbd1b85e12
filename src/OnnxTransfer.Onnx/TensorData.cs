using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

/// <summary>
/// Reads and creates the payload of <see cref="TensorProto"/>s: raw little-endian bytes, the typed repeated fields, or a
/// range of an external file.
/// </summary>
internal static class TensorData
{
    public static long ElementCount(TensorProto tensor)
    {
        long count = 1;
        foreach (var d in tensor.Dims) count *= d;
        return count;
    }

    /// <summary>The bytes the tensor's elements take when stored raw (its logical size; strings: their UTF-8 bytes).</summary>
    public static long ByteSize(TensorProto tensor)
    {
        var type = (OnnxDataType)tensor.DataType;
        if (type == OnnxDataType.String)
        {
            long total = 0;
            foreach (var s in tensor.StringData) total += s.Length;
            return total;
        }
        return type.ByteCount(ElementCount(tensor));
    }

    public static bool IsExternal(TensorProto tensor) =>
        tensor.HasDataLocation && tensor.DataLocation == TensorProto.Types.DataLocation.External;

    /// <summary>
    /// The tensor's elements as raw little-endian bytes, wherever they are stored. External data is read from
    /// <paramref name="reference"/>, which the caller resolves.
    /// </summary>
    public static byte[] ReadBytes(TensorProto tensor, ExternalDataReference? reference)
    {
        var type = (OnnxDataType)tensor.DataType;
        if (IsExternal(tensor))
        {
            if (reference?.ResolvedPath is null)
                throw new OnnxModelException(
                    $"Tensor '{tensor.Name}' keeps its data in external file '{reference?.Location}', but the model was loaded " +
                    "from bytes without a base directory: load it with OnnxModel.Load(path) or pass baseDirectory.");
            return ReadExternal(tensor, reference, type.ByteCount(ElementCount(tensor)));
        }
        if (tensor.HasRawData) return tensor.RawData.ToByteArray();
        var count = checked((int)ElementCount(tensor));
        switch (type)
        {
            case OnnxDataType.Float when tensor.FloatData.Count == count:
                return CopyAsBytes<float>(tensor.FloatData.ToArray());
            case OnnxDataType.Complex64 when tensor.FloatData.Count == 2 * count:
                return CopyAsBytes<float>(tensor.FloatData.ToArray());
            case OnnxDataType.Double when tensor.DoubleData.Count == count:
                return CopyAsBytes<double>(tensor.DoubleData.ToArray());
            case OnnxDataType.Complex128 when tensor.DoubleData.Count == 2 * count:
                return CopyAsBytes<double>(tensor.DoubleData.ToArray());
            case OnnxDataType.Int64 when tensor.Int64Data.Count == count:
                return CopyAsBytes<long>(tensor.Int64Data.ToArray());
            case OnnxDataType.UInt64 when tensor.Uint64Data.Count == count:
                return CopyAsBytes<ulong>(tensor.Uint64Data.ToArray());
            case OnnxDataType.UInt32 when tensor.Uint64Data.Count == count:
                return CopyAsBytes<uint>(tensor.Uint64Data.Select(v => (uint)v).ToArray());
            case OnnxDataType.Int32 when tensor.Int32Data.Count == count:
                return CopyAsBytes<int>(tensor.Int32Data.ToArray());
            case OnnxDataType.Int16 or OnnxDataType.UInt16 or OnnxDataType.Float16 or OnnxDataType.BFloat16
                when tensor.Int32Data.Count == count:
                return CopyAsBytes<ushort>(tensor.Int32Data.Select(v => (ushort)v).ToArray());
            case OnnxDataType.Int8 or OnnxDataType.UInt8 or OnnxDataType.Bool or OnnxDataType.Float8E4M3FN
                or OnnxDataType.Float8E4M3FNUZ or OnnxDataType.Float8E5M2 or OnnxDataType.Float8E5M2FNUZ
                or OnnxDataType.Float8E8M0 when tensor.Int32Data.Count == count:
                return tensor.Int32Data.Select(v => (byte)v).ToArray();
            default:
                throw new OnnxModelException(
                    $"Tensor '{tensor.Name}' ({type.DisplayName()}, {count} elements) has no data this reader understands " +
                    "(expected raw_data, external data or the typed field matching its type and element count).");
        }
    }

    private static byte[] CopyAsBytes<T>(T[] values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX tensor data is little-endian; big-endian hosts are not supported.");
        return bytes;
    }

    private static byte[] ReadExternal(TensorProto tensor, ExternalDataReference reference, long expected)
    {
        var path = reference.ResolvedPath!;
        if (!File.Exists(path))
            throw new OnnxModelException(
                $"External data file '{path}' of tensor '{tensor.Name}' does not exist: keep the data file '{reference.Location}' " +
                "beside the model (paths are relative to the model's directory).");
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var length = reference.Length ?? file.Length - reference.Offset;
        if (reference.Offset < 0 || length < 0 || reference.Offset + length > file.Length)
            throw new OnnxModelException(
                $"Tensor '{tensor.Name}' points at bytes {reference.Offset}..{reference.Offset + length} of '{path}', which holds " +
                $"only {file.Length} bytes: the data file does not belong to this model or was truncated.");
        if (expected > 0 && length != expected)
            throw new OnnxModelException(
                $"Tensor '{tensor.Name}' needs {expected} bytes but its external data entry in '{reference.Location}' has length {length}.");
        var bytes = new byte[length];
        file.Position = reference.Offset;
        file.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Int64 values of a small integer tensor (int64 or int32), or null for other types or external data.</summary>
    public static long[]? TryReadInt64s(TensorProto tensor)
    {
        if (IsExternal(tensor)) return null;
        var count = ElementCount(tensor);
        if (count > 1 << 20) return null;
        switch ((OnnxDataType)tensor.DataType)
        {
            case OnnxDataType.Int64:
                if (tensor.HasRawData && tensor.RawData.Length == count * 8)
                {
                    var values = new long[count];
                    var span = tensor.RawData.Span;
                    for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(span[(i * 8)..]);
                    return values;
                }
                return tensor.Int64Data.Count == count ? tensor.Int64Data.ToArray() : null;
            case OnnxDataType.Int32:
                if (tensor.HasRawData && tensor.RawData.Length == count * 4)
                {
                    var values = new long[count];
                    var span = tensor.RawData.Span;
                    for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt32LittleEndian(span[(i * 4)..]);
                    return values;
                }
                return tensor.Int32Data.Count == count ? tensor.Int32Data.Select(v => (long)v).ToArray() : null;
            default:
                return null;
        }
    }

    /// <summary>A tensor holding <paramref name="values"/> as raw little-endian bytes.</summary>
    public static TensorProto Create<T>(string name, OnnxDataType type, ReadOnlySpan<T> values, ReadOnlySpan<long> dims) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX tensor data is little-endian; big-endian hosts are not supported.");
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"Initializer '{name}' has a negative dimension {d}.", nameof(dims));
            count *= d;
        }
        if (count != values.Length)
            throw new ArgumentException(
                $"Initializer '{name}' has dims [{string.Join(",", dims.ToArray())}] ({count} elements) but {values.Length} values were given.",
                nameof(values));
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        foreach (var d in dims) tensor.Dims.Add(d);
        return tensor;
    }
}
