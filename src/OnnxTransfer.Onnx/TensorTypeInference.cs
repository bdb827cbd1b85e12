using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

/// <summary>
/// Element types and (where cheap) shapes of every tensor of a graph: what the file declares (inputs, outputs,
/// value_info, initializers) and, for the rest, what follows from the operators that produce them — enough to expose an
/// intermediate tensor as a graph output or to tell a pooled feature tensor from a spatial one. Covers the operators of
/// CNN/transformer backbones and QDQ quantisation; other operators leave their outputs unknown rather than guessed.
/// </summary>
internal sealed class TensorTypeInference
{
    private readonly GraphIndex _index;
    private readonly Dictionary<string, TensorInfo> _known = new(StringComparer.Ordinal);

    private TensorTypeInference(GraphIndex index) => _index = index;

    /// <summary>Known tensors by name. Declared information wins over inferred; inference only fills gaps.</summary>
    public static Dictionary<string, TensorInfo> Run(GraphIndex index)
    {
        var inference = new TensorTypeInference(index);
        inference.Walk();
        return inference._known;
    }

    private void Walk()
    {
        var graph = _index.Graph;
        var declared = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        foreach (var v in graph.Input) Declare(declared, v);
        foreach (var v in graph.ValueInfo) Declare(declared, v);
        foreach (var v in graph.Output) Declare(declared, v);
        foreach (var t in graph.Initializer)
            declared[t.Name] = new TensorInfo(t.Name, (OnnxDataType)t.DataType, TensorShape.FromDims(t.Dims));
        foreach (var (name, info) in declared) _known[name] = info;

        foreach (var node in graph.Node)
        {
            var inferred = InferNode(node);
            for (var i = 0; i < node.Output.Count; i++)
            {
                var name = node.Output[i];
                if (name.Length == 0) continue;
                var (type, shape) = i < inferred.Length ? inferred[i] : (OnnxDataType.Undefined, null);
                if (declared.TryGetValue(name, out var d))
                {
                    if (d.ElementType != OnnxDataType.Undefined && d.Shape is not null) continue;
                    type = d.ElementType != OnnxDataType.Undefined ? d.ElementType : type;
                    shape = d.Shape ?? shape;
                }
                if (type != OnnxDataType.Undefined || shape is not null) _known[name] = new TensorInfo(name, type, shape);
            }
        }
    }

    private static void Declare(Dictionary<string, TensorInfo> declared, ValueInfoProto value)
    {
        if (value.Type?.TensorType is not { } tensor) return;
        var info = new TensorInfo(value.Name, (OnnxDataType)tensor.ElemType, TensorShape.FromProto(tensor.Shape));
        if (declared.TryGetValue(value.Name, out var earlier))
            info = new TensorInfo(value.Name,
                earlier.ElementType != OnnxDataType.Undefined ? earlier.ElementType : info.ElementType,
                earlier.Shape ?? info.Shape);
        declared[value.Name] = info;
    }

    private TensorInfo? In(NodeProto node, int i) =>
        i < node.Input.Count && node.Input[i].Length > 0 ? _known.GetValueOrDefault(node.Input[i]) : null;

    private OnnxDataType TypeOf(NodeProto node, int i) => In(node, i)?.ElementType ?? OnnxDataType.Undefined;

    private TensorShape? ShapeOf(NodeProto node, int i) => In(node, i)?.Shape;

    private (OnnxDataType, TensorShape?)[] InferNode(NodeProto node)
    {
        var domain = OpsetImport.NormalizeDomain(node.Domain);
        if (domain.Length != 0) return [];
        var op = node.OpType;
        var t0 = TypeOf(node, 0);
        var s0 = ShapeOf(node, 0);
        switch (op)
        {
            // Element-wise and normalisation operators: type and shape of the first input.
            case "Identity" or "Relu" or "Clip" or "Sigmoid" or "Tanh" or "LeakyRelu" or "Elu" or "Selu" or "Celu"
                or "HardSigmoid" or "HardSwish" or "Softmax" or "LogSoftmax" or "Hardmax" or "Neg" or "Abs" or "Exp"
                or "Log" or "Sqrt" or "Reciprocal" or "Floor" or "Ceil" or "Round" or "Erf" or "Gelu" or "Softplus"
                or "Softsign" or "Mish" or "Sign" or "Sin" or "Cos" or "Tan" or "Asin" or "Acos" or "Atan" or "Sinh"
                or "Cosh" or "Asinh" or "Acosh" or "Atanh" or "ThresholdedRelu" or "Shrink" or "LRN"
                or "BatchNormalization" or "InstanceNormalization" or "LayerNormalization" or "GroupNormalization"
                or "MeanVarianceNormalization" or "LpNormalization" or "CumSum" or "Trilu" or "ReverseSequence"
                or "Swish" or "RMSNormalization":
                return [(t0, s0)];
            case "Dropout":
                return [(t0, s0), (OnnxDataType.Bool, s0)];
            case "IsNaN" or "IsInf" or "Not":
                return [(OnnxDataType.Bool, s0)];
            case "Cast":
                return [((OnnxDataType)GraphIndex.IntAttribute(node, "to", 0), s0)];
            case "CastLike":
                return [(TypeOf(node, 1), s0)];

            case "QuantizeLinear":
            {
                var dtype = GraphIndex.IntAttribute(node, "output_dtype", 0);
                var type = dtype != 0 ? (OnnxDataType)dtype
                    : node.Input.Count > 2 && node.Input[2].Length > 0 ? TypeOf(node, 2) : OnnxDataType.UInt8;
                return [(type, s0)];
            }
            case "DequantizeLinear":
            {
                var dtype = GraphIndex.IntAttribute(node, "output_dtype", 0);
                var scale = TypeOf(node, 1);
                return [(dtype != 0 ? (OnnxDataType)dtype : scale != OnnxDataType.Undefined ? scale : OnnxDataType.Float, s0)];
            }
            case "DynamicQuantizeLinear":
                return [(OnnxDataType.UInt8, s0), (OnnxDataType.Float, new TensorShape()), (OnnxDataType.UInt8, new TensorShape())];

            // Broadcasting element-wise operators.
            case "Add" or "Sub" or "Mul" or "Div" or "Pow" or "Max" or "Min" or "Sum" or "Mean" or "PRelu" or "Mod"
                or "BitShift" or "BitwiseAnd" or "BitwiseOr" or "BitwiseXor":
                return [(t0, Broadcast(node, 0))];
            case "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "And" or "Or" or "Xor":
                return [(OnnxDataType.Bool, Broadcast(node, 0))];
            case "Where":
                return [(TypeOf(node, 1), Broadcast(node, 0))];

            case "Flatten":
                return [(t0, Flatten(node, s0))];
            case "Reshape":
                return [(t0, Reshape(node, s0))];
            case "Squeeze":
                return [(t0, Squeeze(node, s0))];
            case "Unsqueeze":
                return [(t0, Unsqueeze(node, s0))];
            case "Transpose":
                return [(t0, Transpose(node, s0))];

            case "GlobalAveragePool" or "GlobalMaxPool" or "GlobalLpPool":
                return [(t0, s0 is null ? null : new TensorShape(s0.Dimensions.Select((d, axis) => axis < 2 ? d : TensorDimension.Fixed(1))))];
            case "Conv":
                return [(t0, ConvolutionLike(node, s0, weightInput: 1))];
            case "ConvInteger":
                return [(OnnxDataType.Int32, ConvolutionLike(node, s0, weightInput: 1))];
            case "QLinearConv":
                return [(TypeOf(node, 7), ConvolutionLike(node, s0, weightInput: 3))];
            case "MaxPool":
            {
                var shape = ConvolutionLike(node, s0, weightInput: -1);
                return [(t0, shape), (OnnxDataType.Int64, shape)];
            }
            case "AveragePool" or "LpPool":
                return [(t0, ConvolutionLike(node, s0, weightInput: -1))];
            case "ConvTranspose" or "Resize" or "Upsample" or "Pad" or "Slice" or "Tile" or "Expand" or "DepthToSpace"
                or "SpaceToDepth" or "MaxUnpool" or "RoiAlign":
                // Same rank, sizes would need the operator's arithmetic: keep the rank only.
                return [(t0, op is "Expand" ? null : RankOnly(s0))];

            case "Gemm":
                return [(t0, Gemm(node))];
            case "MatMul":
                return [(t0, MatMul(ShapeOf(node, 0), ShapeOf(node, 1)))];
            case "MatMulInteger":
                return [(OnnxDataType.Int32, MatMul(ShapeOf(node, 0), ShapeOf(node, 1)))];
            case "QLinearMatMul":
                return [(TypeOf(node, 7), MatMul(ShapeOf(node, 0), ShapeOf(node, 3)))];
            case "Einsum":
                return [(t0, null)];

            case "Concat":
                return [(t0, Concat(node))];
            case "Split":
                return Enumerable.Repeat((t0, RankOnly(s0)), node.Output.Count).ToArray();
            case "Gather":
                return [(t0, Gather(node, s0, ShapeOf(node, 1)))];
            case "GatherElements":
                return [(t0, ShapeOf(node, 1))];
            case "GatherND" or "Compress":
                return [(t0, null)];

            case "ReduceMean" or "ReduceSum" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL1" or "ReduceL2"
                or "ReduceLogSum" or "ReduceLogSumExp" or "ReduceSumSquare":
                return [(t0, Reduce(node, s0))];
            case "ArgMax" or "ArgMin":
                return [(OnnxDataType.Int64, ReduceAlongAxisAttribute(node, s0))];
            case "TopK":
                return [(t0, RankOnly(s0)), (OnnxDataType.Int64, RankOnly(s0))];

            case "Shape":
                return [(OnnxDataType.Int64, s0 is null ? new TensorShape(TensorDimension.Unknown) : ShapeOfShape(node, s0))];
            case "Size":
                return [(OnnxDataType.Int64, new TensorShape())];
            case "NonZero":
                return [(OnnxDataType.Int64, s0 is null ? null : new TensorShape(TensorDimension.Fixed(s0.Rank), TensorDimension.Unknown))];
            case "Constant":
                return [ConstantType(node)];
            case "ConstantOfShape":
            {
                var value = GraphIndex.Attribute(node, "value")?.T;
                var dims = _index.ConstantInt64s(node.Input.Count > 0 ? node.Input[0] : "");
                return [(value is null ? OnnxDataType.Float : (OnnxDataType)value.DataType, dims is null ? null : TensorShape.FromDims(dims))];
            }
            case "Range":
                return [(t0, new TensorShape(TensorDimension.Unknown))];
            case "EyeLike":
            {
                var dtype = GraphIndex.IntAttribute(node, "dtype", 0);
                return [(dtype != 0 ? (OnnxDataType)dtype : t0, s0)];
            }
            default:
                return [];
        }
    }

    private static TensorShape? RankOnly(TensorShape? shape) =>
        shape is null ? null : new TensorShape(Enumerable.Repeat(TensorDimension.Unknown, shape.Rank));

    private (OnnxDataType, TensorShape?) ConstantType(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            switch (a.Name)
            {
                case "value" when a.T is { } t: return ((OnnxDataType)t.DataType, TensorShape.FromDims(t.Dims));
                case "value_float": return (OnnxDataType.Float, new TensorShape());
                case "value_floats": return (OnnxDataType.Float, TensorShape.FromDims([a.Floats.Count]));
                case "value_int": return (OnnxDataType.Int64, new TensorShape());
                case "value_ints": return (OnnxDataType.Int64, TensorShape.FromDims([a.Ints.Count]));
                case "value_string": return (OnnxDataType.String, new TensorShape());
                case "value_strings": return (OnnxDataType.String, TensorShape.FromDims([a.Strings.Count]));
                case "sparse_value" when a.SparseTensor is { } s:
                    return ((OnnxDataType)(s.Values?.DataType ?? 0), TensorShape.FromDims(s.Dims));
            }
        }
        return (OnnxDataType.Undefined, null);
    }

    /// <summary>Numpy-style broadcasting of all inputs of an element-wise operator.</summary>
    private TensorShape? Broadcast(NodeProto node, int first)
    {
        TensorShape? result = null;
        for (var i = first; i < node.Input.Count; i++)
        {
            if (node.Input[i].Length == 0) continue;
            var shape = ShapeOf(node, i);
            if (shape is null) return null;
            result = result is null ? shape : BroadcastPair(result, shape);
        }
        return result;
    }

    private static TensorShape BroadcastPair(TensorShape a, TensorShape b)
    {
        var rank = Math.Max(a.Rank, b.Rank);
        var dims = new TensorDimension[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i - (rank - a.Rank) >= 0 ? a[i - (rank - a.Rank)] : TensorDimension.Fixed(1);
            var db = i - (rank - b.Rank) >= 0 ? b[i - (rank - b.Rank)] : TensorDimension.Fixed(1);
            dims[i] = da.Value == 1 ? db
                : db.Value == 1 ? da
                : da == db ? da
                : da.IsFixed && db.IsFixed ? TensorDimension.Unknown // incompatible; leave it to the runtime to report
                : da.IsFixed ? da : db.IsFixed ? db : TensorDimension.Unknown;
        }
        return new TensorShape(dims);
    }

    private static TensorShape? Flatten(NodeProto node, TensorShape? input)
    {
        if (input is null) return new TensorShape(TensorDimension.Unknown, TensorDimension.Unknown);
        var axis = GraphIndex.IntAttribute(node, "axis", 1);
        if (axis < 0) axis += input.Rank;
        if (axis < 0 || axis > input.Rank) return null;
        return new TensorShape(Product(input.Dimensions.Take((int)axis)), Product(input.Dimensions.Skip((int)axis)));
    }

    /// <summary>The product of dimensions: fixed if all are fixed, the symbol if it is the only non-1 dimension.</summary>
    private static TensorDimension Product(IEnumerable<TensorDimension> dims)
    {
        long known = 1;
        TensorDimension? symbolic = null;
        var symbols = 0;
        foreach (var d in dims)
        {
            if (d.Value is { } v) known *= v;
            else if (d.IsSymbolic) { symbolic = d; symbols++; }
            else return TensorDimension.Unknown;
        }
        if (symbols == 0) return TensorDimension.Fixed(known);
        return symbols == 1 && known == 1 ? symbolic!.Value : TensorDimension.Unknown;
    }

    private TensorShape? Reshape(NodeProto node, TensorShape? input)
    {
        var target = node.Input.Count > 1 ? _index.ConstantInt64s(node.Input[1]) : null;
        if (target is null)
            return node.Input.Count > 1 && ShapeOf(node, 1) is { Rank: 1 } s && s[0].Value is { } rank
                ? new TensorShape(Enumerable.Repeat(TensorDimension.Unknown, (int)rank))
                : null;
        var allowZero = GraphIndex.IntAttribute(node, "allowzero", 0) != 0;
        var dims = new TensorDimension[target.Length];
        var inferAt = -1;
        for (var i = 0; i < target.Length; i++)
        {
            dims[i] = target[i] switch
            {
                0 when !allowZero => input is not null && i < input.Rank ? input[i] : TensorDimension.Unknown,
                -1 => TensorDimension.Unknown,
                var v when v >= 0 => TensorDimension.Fixed(v),
                _ => TensorDimension.Unknown,
            };
            if (target[i] == -1) inferAt = i;
        }
        if (inferAt >= 0 && input is not null) dims[inferAt] = InferredReshapeDimension(input, dims, inferAt);
        return new TensorShape(dims);
    }

    /// <summary>
    /// The size of Reshape's -1 dimension: total input size over the other output dimensions, also when both sides carry
    /// the same symbolic dimensions (e.g. [N,2048,1,1] → [N,-1] gives 2048, [N,2048,1,1] → [-1,2048] gives N).
    /// </summary>
    private static TensorDimension InferredReshapeDimension(TensorShape input, TensorDimension[] output, int inferAt)
    {
        long knownIn = 1, knownOut = 1;
        var symbols = new List<string>();
        foreach (var d in input.Dimensions)
        {
            if (d.Value is { } v) knownIn *= v;
            else if (d.Symbol is { } s) symbols.Add(s);
            else return TensorDimension.Unknown;
        }
        for (var i = 0; i < output.Length; i++)
        {
            if (i == inferAt) continue;
            var d = output[i];
            if (d.Value is { } v) knownOut *= v;
            else if (d.Symbol is { } s && symbols.Remove(s)) { }
            else return TensorDimension.Unknown;
        }
        if (knownOut == 0 || knownIn % knownOut != 0) return TensorDimension.Unknown;
        var rest = knownIn / knownOut;
        return symbols.Count switch
        {
            0 => TensorDimension.Fixed(rest),
            1 when rest == 1 => TensorDimension.Symbolic(symbols[0]),
            _ => TensorDimension.Unknown,
        };
    }

    private long[]? AxesOf(NodeProto node, int inputIndex)
    {
        if (GraphIndex.IntsAttribute(node, "axes") is { } attribute) return attribute.ToArray();
        return node.Input.Count > inputIndex && node.Input[inputIndex].Length > 0 ? _index.ConstantInt64s(node.Input[inputIndex]) : null;
    }

    private static bool NormalizeAxes(long[] axes, int rank)
    {
        for (var i = 0; i < axes.Length; i++)
        {
            if (axes[i] < 0) axes[i] += rank;
            if (axes[i] < 0 || axes[i] >= rank) return false;
        }
        return true;
    }

    private TensorShape? Squeeze(NodeProto node, TensorShape? input)
    {
        if (input is null) return null;
        var axes = AxesOf(node, 1);
        if (axes is null)
        {
            if (node.Input.Count > 1 && node.Input[1].Length > 0) return null; // axes computed at run time
            return input.IsFullyKnown ? new TensorShape(input.Dimensions.Where(d => d.Value != 1)) : null;
        }
        if (!NormalizeAxes(axes, input.Rank)) return null;
        return new TensorShape(input.Dimensions.Where((_, i) => Array.IndexOf(axes, (long)i) < 0));
    }

    private TensorShape? Unsqueeze(NodeProto node, TensorShape? input)
    {
        var axes = AxesOf(node, 1);
        if (input is null || axes is null) return null;
        var rank = input.Rank + axes.Length;
        if (!NormalizeAxes(axes, rank)) return null;
        var dims = new TensorDimension[rank];
        var source = 0;
        for (var i = 0; i < rank; i++)
            dims[i] = Array.IndexOf(axes, (long)i) >= 0 ? TensorDimension.Fixed(1) : source < input.Rank ? input[source++] : TensorDimension.Unknown;
        return new TensorShape(dims);
    }

    private static TensorShape? Transpose(NodeProto node, TensorShape? input)
    {
        if (input is null) return null;
        var perm = GraphIndex.IntsAttribute(node, "perm")?.ToArray() ?? Enumerable.Range(0, input.Rank).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != input.Rank || !NormalizeAxes(perm, input.Rank)) return null;
        return new TensorShape(perm.Select(p => input[(int)p]));
    }

    /// <summary>Output shape of Conv and pooling: batch, channels (from the weight for Conv), then each spatial size.</summary>
    private TensorShape? ConvolutionLike(NodeProto node, TensorShape? input, int weightInput)
    {
        if (input is null) return null;
        if (input.Rank < 3) return RankOnly(input);
        var spatial = input.Rank - 2;
        var weight = weightInput >= 0 ? ShapeOf(node, weightInput) : null;
        var kernel = GraphIndex.IntsAttribute(node, "kernel_shape")?.ToArray()
                     ?? (weight is { } w && w.Rank == input.Rank && w.Dimensions.Skip(2).All(d => d.IsFixed)
                         ? w.Dimensions.Skip(2).Select(d => d.Value!.Value).ToArray() : null);
        var dims = new TensorDimension[input.Rank];
        dims[0] = input[0];
        dims[1] = weightInput < 0 ? input[1] : weight is { Rank: > 0 } ws ? ws[0] : TensorDimension.Unknown;
        var strides = GraphIndex.IntsAttribute(node, "strides")?.ToArray();
        var dilations = GraphIndex.IntsAttribute(node, "dilations")?.ToArray();
        var pads = GraphIndex.IntsAttribute(node, "pads")?.ToArray();
        var autoPad = GraphIndex.StringAttribute(node, "auto_pad", "NOTSET");
        var ceil = GraphIndex.IntAttribute(node, "ceil_mode", 0) != 0;
        for (var i = 0; i < spatial; i++)
        {
            var size = input[i + 2].Value;
            if (size is null || kernel is null || kernel.Length != spatial) { dims[i + 2] = TensorDimension.Unknown; continue; }
            var stride = strides is { } s && s.Length == spatial ? s[i] : 1;
            var dilation = dilations is { } dl && dl.Length == spatial ? dl[i] : 1;
            var extent = dilation * (kernel[i] - 1) + 1;
            long output;
            switch (autoPad)
            {
                case "SAME_UPPER" or "SAME_LOWER":
                    output = (size.Value + stride - 1) / stride;
                    break;
                case "VALID":
                    output = (size.Value - extent) / stride + 1;
                    break;
                default:
                {
                    var padTotal = pads is { } p && p.Length == 2 * spatial ? p[i] + p[i + spatial] : 0;
                    var span = size.Value + padTotal - extent;
                    output = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
                    break;
                }
            }
            dims[i + 2] = output > 0 ? TensorDimension.Fixed(output) : TensorDimension.Unknown;
        }
        return new TensorShape(dims);
    }

    private TensorShape? Gemm(NodeProto node)
    {
        var a = ShapeOf(node, 0);
        var b = ShapeOf(node, 1);
        var transA = GraphIndex.IntAttribute(node, "transA", 0) != 0;
        var transB = GraphIndex.IntAttribute(node, "transB", 0) != 0;
        var m = a is { Rank: 2 } ? a[transA ? 1 : 0] : TensorDimension.Unknown;
        var n = b is { Rank: 2 } ? b[transB ? 0 : 1] : TensorDimension.Unknown;
        return new TensorShape(m, n);
    }

    private static TensorShape? MatMul(TensorShape? a, TensorShape? b)
    {
        if (a is null || b is null || a.Rank == 0 || b.Rank == 0) return null;
        var a2 = a.Rank == 1 ? new TensorShape(TensorDimension.Fixed(1), a[0]) : a;
        var b2 = b.Rank == 1 ? new TensorShape(b[0], TensorDimension.Fixed(1)) : b;
        var batchA = new TensorShape(a2.Dimensions.Take(a2.Rank - 2));
        var batchB = new TensorShape(b2.Dimensions.Take(b2.Rank - 2));
        var dims = BroadcastPair(batchA, batchB).Dimensions.ToList();
        if (a.Rank > 1) dims.Add(a2[a2.Rank - 2]);
        if (b.Rank > 1) dims.Add(b2[b2.Rank - 1]);
        return new TensorShape(dims);
    }

    private TensorShape? Concat(NodeProto node)
    {
        var first = ShapeOf(node, 0);
        if (first is null) return null;
        var axis = GraphIndex.IntAttribute(node, "axis", 0);
        if (axis < 0) axis += first.Rank;
        if (axis < 0 || axis >= first.Rank) return null;
        long total = 0;
        var known = true;
        for (var i = 0; i < node.Input.Count; i++)
        {
            var shape = ShapeOf(node, i);
            if (shape?.Rank != first.Rank || shape[(int)axis].Value is not { } v) { known = false; break; }
            total += v;
        }
        var dims = first.Dimensions.ToArray();
        dims[axis] = known ? TensorDimension.Fixed(total) : TensorDimension.Unknown;
        return new TensorShape(dims);
    }

    private static TensorShape? Gather(NodeProto node, TensorShape? data, TensorShape? indices)
    {
        if (data is null || indices is null) return null;
        var axis = GraphIndex.IntAttribute(node, "axis", 0);
        if (axis < 0) axis += data.Rank;
        if (axis < 0 || axis >= data.Rank) return null;
        return new TensorShape(data.Dimensions.Take((int)axis).Concat(indices.Dimensions).Concat(data.Dimensions.Skip((int)axis + 1)));
    }

    private TensorShape? Reduce(NodeProto node, TensorShape? input)
    {
        if (input is null) return null;
        var keep = GraphIndex.IntAttribute(node, "keepdims", 1) != 0;
        var axes = AxesOf(node, 1);
        if (axes is null && node.Input.Count > 1 && node.Input[1].Length > 0) return keep ? RankOnly(input) : null;
        if (axes is null || axes.Length == 0)
        {
            if (GraphIndex.IntAttribute(node, "noop_with_empty_axes", 0) != 0) return input;
            axes = Enumerable.Range(0, input.Rank).Select(i => (long)i).ToArray();
        }
        if (!NormalizeAxes(axes, input.Rank)) return null;
        var dims = new List<TensorDimension>(input.Rank);
        for (var i = 0; i < input.Rank; i++)
        {
            if (Array.IndexOf(axes, (long)i) < 0) dims.Add(input[i]);
            else if (keep) dims.Add(TensorDimension.Fixed(1));
        }
        return new TensorShape(dims);
    }

    private static TensorShape? ReduceAlongAxisAttribute(NodeProto node, TensorShape? input)
    {
        if (input is null) return null;
        var axis = GraphIndex.IntAttribute(node, "axis", 0);
        if (axis < 0) axis += input.Rank;
        if (axis < 0 || axis >= input.Rank) return null;
        var keep = GraphIndex.IntAttribute(node, "keepdims", 1) != 0;
        var dims = input.Dimensions.ToList();
        if (keep) dims[(int)axis] = TensorDimension.Fixed(1);
        else dims.RemoveAt((int)axis);
        return new TensorShape(dims);
    }

    private static TensorShape ShapeOfShape(NodeProto node, TensorShape input)
    {
        var start = GraphIndex.IntAttribute(node, "start", 0);
        var end = GraphIndex.IntAttribute(node, "end", input.Rank);
        if (start < 0) start += input.Rank;
        if (end < 0) end += input.Rank;
        start = Math.Clamp(start, 0, input.Rank);
        end = Math.Clamp(end, 0, input.Rank);
        return TensorShape.FromDims([Math.Max(0, end - start)]);
    }
}
