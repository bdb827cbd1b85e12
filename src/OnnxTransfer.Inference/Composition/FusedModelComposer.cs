using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Onnx;
using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Inference.Composition;

/// <summary>
/// Builds the fused model: the backbone cut at its feature tensor, the spec's pooling and L2 normalisation as graph
/// nodes, the head appended, optionally the input normalisation folded in front, and the metadata a caller needs
/// (labels, preprocessing, backbone and head fingerprints). Text backbones: see
/// <see cref="Compose(TextBackbone, HeadModel)"/>. The result computes what the chained predictor computes —
/// same operators on the same values — so the two agree to float rounding.
/// </summary>
public sealed partial class FusedModelComposer(ComposeOptions? options = null)
{
    /// <summary>Prefix of every tensor and node the composer adds (beside the head's <c>head/</c>).</summary>
    public const string NamePrefix = "onnxtransfer/";

    private readonly ComposeOptions _options = options ?? new ComposeOptions();

    /// <summary>Composes <paramref name="backbone"/> (a loaded, checked image backbone) and <paramref name="head"/>.</summary>
    /// <exception cref="HeadMismatchException">The head does not belong to this backbone.</exception>
    /// <exception cref="OnnxModelException">The graphs cannot be joined (e.g. conflicting operator sets); the message names the fix.</exception>
    public OnnxModel Compose(ImageBackbone backbone, HeadModel head)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        var (model, graph) = CutBackbone(backbone, head, "backbone");
        var features = backbone.FeatureTensor;
        if (backbone.Spec.Features.Pooling == FeaturePooling.GlobalAverage)
            features = graph.GlobalAveragePool(features, backbone.Dimension);
        if (backbone.Spec.Features.L2Normalize)
            features = graph.L2Normalize(features, backbone.Dimension);

        var image = backbone.Spec.RequireImage();
        if (_options.FoldNormalization is { } scale)
            graph.FoldInputNormalization(backbone.InputName, image.Preprocess, backbone.Spec.Layout, scale);

        var views = _options.TestTimeAugmentation;
        if (views.IsActive)
        {
            CheckViewsFit(backbone, model);
            graph.StackInputViews(backbone.InputName, views.Views);
        }

        AppendHead(model, graph, features, head, backbone.Fingerprint);
        if (views.IsActive) CombineViews(model, views);
        model.SetMetadata(MetadataKeys.BackboneSpec, BackboneSpecFile.ToJson(CallerSpec(backbone, image)));
        if (_options.FoldNormalization is { } folded) model.SetMetadata(MetadataKeys.InputScale, folded == InputScale.Unit ? "unit" : "byte");
        model.Validate();
        return model;
    }

    /// <summary>
    /// The start every fused model shares: the head checked against the backbone, the backbone's model loaded and cut at
    /// its feature tensor, and an editor over its graph.
    /// </summary>
    private (OnnxModel Model, GraphEditor Graph) CutBackbone(Backbone backbone, HeadModel head, string what)
    {
        HeadCompatibility.Check(backbone.Fingerprint, backbone.Dimension, head, _options.AllowFingerprintMismatch, _options.WarningSink);
        var model = OnnxModel.Load(backbone.ModelPath);
        model.CutAt(backbone.FeatureTensor);
        var opset = model.GetOpsetVersion("") ?? throw new OnnxModelException($"The {what} imports no default ONNX operator set.");
        return (model, new GraphEditor(model.Proto.Graph, opset));
    }

    /// <summary>
    /// The part every fused model shares: the head appended on the (pooled, normalised) features, the features exposed
    /// when asked, and the provenance metadata (format, backbone fingerprint, head hash).
    /// </summary>
    private void AppendHead(OnnxModel model, GraphEditor graph, string features, HeadModel head, BackboneFingerprint fingerprint)
    {
        model.Append(head.Model, features, head.InputName, "head/");
        if (_options.IncludeFeatures)
        {
            graph.Identity(features, ModelLayout.FeaturesOutput);
            model.ExposeOutput(ModelLayout.FeaturesOutput);
        }

        model.SetMetadata(MetadataKeys.Format, ModelLayout.FusedFormat);
        model.SetMetadata(MetadataKeys.BackboneFingerprint, fingerprint.Json);
        model.SetMetadata(MetadataKeys.BackboneFingerprintSha256, fingerprint.Sha256);
        model.SetMetadata(MetadataKeys.HeadSha256, head.Sha256);
    }

    /// <summary>
    /// The spec a caller of the fused model follows: the backbone's decoding and resizing, and — when normalisation is
    /// folded — only the scaling to the folded input scale (mean 0, std 1). Its model is the fused file itself.
    /// </summary>
    private BackboneSpec CallerSpec(ImageBackbone backbone, ImageInputSpec image)
    {
        var callerImage = _options.FoldNormalization is { } scale
            ? image with { Preprocess = image.Preprocess with { Scale = scale == InputScale.Unit ? PixelScale.UnitInterval : PixelScale.Byte, Mean = ChannelValues.Zero, Std = ChannelValues.One } }
            : image;
        return backbone.Spec with
        {
            ModelPath = ".",
            ModelSha256 = null,
            InputName = backbone.InputName,
            Image = callerImage,
            Features = backbone.Spec.Features with { Tensor = backbone.FeatureTensor },
            Description = $"Preprocessing of the fused model composed from backbone '{backbone.Spec.Name}'.",
            BaseDirectory = null,
        };
    }

    /// <summary>Adds nodes to the backbone graph for the opset it imports, with value_info so shapes stay known.</summary>
    private sealed partial class GraphEditor(GraphProto graph, long opset)
    {
        public string GlobalAveragePool(string input, int channels)
        {
            var map = Add("GlobalAveragePool", [input], "pooled_map");
            var pooled = Add("Flatten", [map], "pooled", new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            Declare(pooled, channels);
            return pooled;
        }

        /// <summary>x / max(‖x‖₂, 1e-12): rows of length zero stay zero, as in EmbeddingPostprocessing.L2Normalize.</summary>
        public string L2Normalize(string input, int dimension)
        {
            string norm;
            if (opset >= 18)
            {
                var axes = Constant("l2_axes", [1L]);
                norm = Add("ReduceL2", [input, axes], "l2_norm", Int("keepdims", 1));
            }
            else
            {
                norm = Add("ReduceL2", [input], "l2_norm", Ints("axes", 1), Int("keepdims", 1));
            }
            var floor = Constant("l2_floor", [1e-12f], []);
            var clamped = Add("Max", [norm, floor], "l2_norm_clamped");
            var normalized = Add("Div", [input, clamped], "normalized");
            Declare(normalized, dimension);
            return normalized;
        }

        /// <summary>
        /// Puts <c>(x·k − mean) / std</c> in front of every consumer of the image input, with the spec's per-channel values
        /// in the tensor's channel order; k turns the caller's scale into the spec's (1, 1/255 or 255). Written as the
        /// same float operations the preprocessor performs, so the values are the same bits.
        /// </summary>
        public void FoldInputNormalization(string input, PreprocessSettings image, TensorLayout layout, InputScale callerScale)
        {
            var normalizedName = Name("normalized_input");
            foreach (var node in graph.Node)
                for (var i = 0; i < node.Input.Count; i++)
                    if (node.Input[i] == input) node.Input[i] = normalizedName;

            var nodes = new List<NodeProto>();
            var scaled = input;
            var specIsUnit = image.Scale == PixelScale.UnitInterval;
            if (specIsUnit && callerScale == InputScale.Byte)
                scaled = Prepend(nodes, "Div", [input, Constant("byte_to_unit", [255f], [])], "unit_input");
            else if (!specIsUnit && callerScale == InputScale.Unit)
                scaled = Prepend(nodes, "Mul", [input, Constant("unit_to_byte", [255f], [])], "byte_input");

            long[] shape = layout == TensorLayout.Nchw ? [1, 3, 1, 1] : [1, 1, 1, 3];
            var bgr = image.ChannelOrder == ChannelOrder.Bgr;
            float[] mean = bgr ? [image.Mean.B, image.Mean.G, image.Mean.R] : [image.Mean.R, image.Mean.G, image.Mean.B];
            float[] std = bgr ? [image.Std.B, image.Std.G, image.Std.R] : [image.Std.R, image.Std.G, image.Std.B];
            var centered = Prepend(nodes, "Sub", [scaled, Constant("input_mean", mean, shape)], "centered_input");
            Prepend(nodes, "Div", [centered, Constant("input_std", std, shape)], normalizedName, exactName: true);
            for (var i = nodes.Count - 1; i >= 0; i--) graph.Node.Insert(0, nodes[i]);
        }

        public void Identity(string input, string output) =>
            graph.Node.Add(new NodeProto { OpType = "Identity", Name = Name("features"), Input = { input }, Output = { output } });

        private string Prepend(List<NodeProto> nodes, string op, string[] inputs, string output, bool exactName = false)
        {
            var name = exactName ? output : Name(output);
            nodes.Add(new NodeProto { OpType = op, Name = name, Input = { inputs }, Output = { name } });
            return name;
        }

        private string Add(string op, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var name = Name(output);
            var node = new NodeProto { OpType = op, Name = name, Input = { inputs }, Output = { name } };
            node.Attribute.AddRange(attributes);
            graph.Node.Add(node);
            return name;
        }

        private string Constant(string name, float[] values, long[] dims)
        {
            var tensor = new TensorProto { Name = Name(name), DataType = (int)TensorProto.Types.DataType.Float };
            tensor.Dims.AddRange(dims);
            tensor.FloatData.AddRange(values);
            graph.Initializer.Add(tensor);
            return tensor.Name;
        }

        private string Constant(string name, long[] values)
        {
            var tensor = new TensorProto { Name = Name(name), DataType = (int)TensorProto.Types.DataType.Int64 };
            tensor.Dims.Add(values.Length);
            tensor.Int64Data.AddRange(values);
            graph.Initializer.Add(tensor);
            return tensor.Name;
        }

        private void Declare(string tensor, int dimension)
        {
            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dimension });
            graph.ValueInfo.Add(new ValueInfoProto
            {
                Name = tensor,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
            });
        }

        private static string Name(string name) => NamePrefix + name;

        private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

        private static AttributeProto Ints(string name, params long[] values)
        {
            var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            attribute.Ints.AddRange(values);
            return attribute;
        }
    }
}
