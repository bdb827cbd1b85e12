using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Onnx;
using OnnxTransfer.Onnx.Protobuf;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Pooling;

namespace OnnxTransfer.Inference.Composition;

public sealed partial class FusedModelComposer
{
    /// <summary>What a fused text model's spec says about its tokenizer: it is in the model's own metadata.</summary>
    public const string EmbeddedTokenizer = "metadata:" + MetadataKeys.Tokenizer;

    /// <summary>
    /// Composes a text encoder and a head: the encoder cut at its output, the spec's pooling as graph nodes — mean over
    /// the attention mask (<c>ReduceSum(h·m) / max(ReduceSum(m), 1e-9)</c>), the first token (<c>Gather</c>), max over
    /// the masked tokens (<c>Where</c> + <c>ReduceMax</c>), or the model's pooled output as it is — then L2 and the head.
    /// Inputs stay the encoder's token inputs; the tokenizer travels in the metadata (callers tokenise outside the graph).
    /// </summary>
    /// <exception cref="HeadMismatchException">The head does not belong to this backbone.</exception>
    /// <exception cref="InferenceException">Folding normalisation was asked (there is none for text).</exception>
    public OnnxModel Compose(TextBackbone backbone, HeadModel head)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        if (_options.FoldNormalization is not null)
            throw new InferenceException($"Backbone '{backbone.Spec.Name}' is a text backbone: it has no pixel normalisation to fold in (drop --fold-normalization).");
        if (_options.TestTimeAugmentation.IsActive)
            throw new InferenceException($"Backbone '{backbone.Spec.Name}' is a text backbone: test-time views ({_options.TestTimeAugmentation.Names}) transform images; compose without --tta.");
        var (model, graph) = CutBackbone(backbone, head, "encoder");
        var hidden = backbone.FeatureTensor;
        var mask = backbone.Inputs.AttentionMask;
        var dimension = backbone.Dimension;
        var features = backbone.Pooling switch
        {
            PoolingMode.Mean => mask is null ? graph.MeanOverTokens(hidden, dimension) : graph.MaskedMean(hidden, mask, dimension),
            PoolingMode.Cls => graph.FirstToken(hidden, dimension),
            PoolingMode.Max => mask is null ? graph.MaxOverTokens(hidden, dimension) : graph.MaskedMax(hidden, mask, dimension),
            _ => hidden,
        };
        if (backbone.Spec.Features.L2Normalize) features = graph.L2Normalize(features, dimension);

        AppendHead(model, graph, features, head, backbone.Fingerprint);
        var text = backbone.Spec.RequireText();
        model.SetMetadata(MetadataKeys.BackboneSpec, BackboneSpecFile.ToJson(backbone.Spec with
        {
            ModelPath = ".",
            ModelSha256 = null,
            InputName = backbone.Inputs.InputIds,
            Text = text with { Tokenizer = EmbeddedTokenizer },
            Features = backbone.Spec.Features with { Tensor = backbone.FeatureTensor },
            Description = $"Tokenisation of the fused model composed from text backbone '{backbone.Spec.Name}' (tokenizer in {MetadataKeys.Tokenizer}).",
            BaseDirectory = null,
        }));
        model.SetMetadata(MetadataKeys.Tokenizer, BertTokenizerJson.Write(backbone.Tokenizer));
        model.Validate();
        return model;
    }

    private sealed partial class GraphEditor
    {
        /// <summary>Σₜ h·m / max(Σₜ m, 1e-9) over the sequence axis ([B, T, H], mask [B, T] → [B, H]), as EmbeddingPooling.Mean.</summary>
        public string MaskedMean(string hidden, string mask, int dimension)
        {
            var maskFloat = Add("Cast", [mask], "mask_float", Int("to", (long)TensorProto.Types.DataType.Float));
            var mask3 = Unsqueeze(maskFloat, 2, "mask_3d");
            var masked = Add("Mul", [hidden, mask3], "masked_hidden");
            var sum = Reduce("ReduceSum", masked, "token_sum", keepDims: false, reduceAxisInputSince: 13);
            var count = Reduce("ReduceSum", maskFloat, "token_count", keepDims: true, reduceAxisInputSince: 13);
            var clamped = Add("Max", [count, Constant("count_floor", [1e-9f], [])], "token_count_clamped");
            var mean = Add("Div", [sum, clamped], "mean_pooled");
            Declare(mean, dimension);
            return mean;
        }

        /// <summary>Mean over every token (a model without attention mask only batches texts of equal length).</summary>
        public string MeanOverTokens(string hidden, int dimension)
        {
            var mean = Reduce("ReduceMean", hidden, "mean_pooled", keepDims: false, reduceAxisInputSince: 18);
            Declare(mean, dimension);
            return mean;
        }

        /// <summary>The first ([CLS]) token's vector: Gather index 0 on the sequence axis.</summary>
        public string FirstToken(string hidden, int dimension)
        {
            var index = Constant("first_token", [0L], scalar: true);
            var first = Add("Gather", [hidden, index], "cls_pooled", Int("axis", 1));
            Declare(first, dimension);
            return first;
        }

        /// <summary>Element-wise max over the tokens whose mask is 1 (the others are replaced by the lowest float first).</summary>
        public string MaskedMax(string hidden, string mask, int dimension)
        {
            var maskBool = Add("Cast", [mask], "mask_bool", Int("to", (long)TensorProto.Types.DataType.Bool));
            var mask3 = Unsqueeze(maskBool, 2, "mask_bool_3d");
            var kept = Add("Where", [mask3, hidden, Constant("lowest", [float.MinValue], [])], "masked_for_max");
            var max = Reduce("ReduceMax", kept, "max_pooled", keepDims: false, reduceAxisInputSince: 18);
            Declare(max, dimension);
            return max;
        }

        public string MaxOverTokens(string hidden, int dimension)
        {
            var max = Reduce("ReduceMax", hidden, "max_pooled", keepDims: false, reduceAxisInputSince: 18);
            Declare(max, dimension);
            return max;
        }

        /// <summary>Adds axis <paramref name="axis"/> (an input from opset 13, an attribute before).</summary>
        private string Unsqueeze(string input, long axis, string output) => opset >= 13
            ? Add("Unsqueeze", [input, Constant(output + "_axes", [axis])], output)
            : Add("Unsqueeze", [input], output, Ints("axes", axis));

        /// <summary>Reduces axis 1 (the sequence); the axes are an input from the operator's opset that made them one.</summary>
        private string Reduce(string op, string input, string output, bool keepDims, long reduceAxisInputSince) => opset >= reduceAxisInputSince
            ? Add(op, [input, Constant(output + "_axes", [1L])], output, Int("keepdims", keepDims ? 1 : 0))
            : Add(op, [input], output, Ints("axes", 1), Int("keepdims", keepDims ? 1 : 0));

        private string Constant(string name, long[] values, bool scalar)
        {
            if (!scalar) return Constant(name, values);
            var tensor = new TensorProto { Name = Name(name), DataType = (int)TensorProto.Types.DataType.Int64 };
            tensor.Int64Data.AddRange(values);
            graph.Initializer.Add(tensor);
            return tensor.Name;
        }
    }
}
