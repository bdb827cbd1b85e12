using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

/// <summary>A tensor shape whose rank is known; each dimension may be fixed, symbolic or unknown.</summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    private readonly TensorDimension[] _dimensions;

    public TensorShape(params IEnumerable<TensorDimension> dimensions) => _dimensions = dimensions.ToArray();

    public IReadOnlyList<TensorDimension> Dimensions => _dimensions;
    public int Rank => _dimensions.Length;
    public TensorDimension this[int axis] => _dimensions[axis];

    /// <summary>True when every dimension has a fixed size.</summary>
    public bool IsFullyKnown => Array.TrueForAll(_dimensions, d => d.IsFixed);

    /// <summary>The product of the dimensions, or null if any of them is not fixed.</summary>
    public long? ElementCount
    {
        get
        {
            long count = 1;
            foreach (var d in _dimensions)
            {
                if (d.Value is not { } v) return null;
                count *= v;
            }
            return count;
        }
    }

    /// <summary>A shape of fixed dimensions, e.g. an initializer's <c>dims</c>.</summary>
    public static TensorShape FromDims(IEnumerable<long> dims) => new(dims.Select(TensorDimension.Fixed));

    internal static TensorShape? FromProto(TensorShapeProto? shape)
    {
        // An absent shape means "rank unknown"; a present shape with no dims is a scalar.
        if (shape is null) return null;
        var dims = new TensorDimension[shape.Dim.Count];
        for (var i = 0; i < dims.Length; i++)
        {
            var d = shape.Dim[i];
            dims[i] = d.ValueCase switch
            {
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue when d.DimValue >= 0 => TensorDimension.Fixed(d.DimValue),
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam when d.DimParam.Length > 0 => TensorDimension.Symbolic(d.DimParam),
                _ => TensorDimension.Unknown,
            };
        }
        return new TensorShape(dims);
    }

    internal TensorShapeProto ToProto()
    {
        var proto = new TensorShapeProto();
        foreach (var d in _dimensions)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (d.Value is { } v) dim.DimValue = v;
            else if (d.Symbol is { } s) dim.DimParam = s;
            proto.Dim.Add(dim);
        }
        return proto;
    }

    public bool Equals(TensorShape? other) => other is not null && _dimensions.AsSpan().SequenceEqual(other._dimensions);
    public override bool Equals(object? obj) => Equals(obj as TensorShape);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dimensions) hash.Add(d);
        return hash.ToHashCode();
    }

    /// <summary>Like "[batch_size,1280]"; unknown dimensions print as "?".</summary>
    public override string ToString() => "[" + string.Join(",", _dimensions) + "]";
}
