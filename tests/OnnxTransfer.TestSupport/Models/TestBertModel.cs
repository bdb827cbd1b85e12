using OnnxTransfer.Onnx;

namespace OnnxTransfer.TestSupport.Models;

/// <summary>
/// Builds a BERT-architecture encoder as an ONNX model with our <see cref="GraphBuilder"/>: word + position + token-type
/// embeddings and LayerNorm, post-LN transformer layers (multi-head self-attention with the additive
/// <c>(1 − attention_mask) · −10000</c> mask, exact erf GELU feed-forward), inputs <c>input_ids</c>,
/// <c>attention_mask</c>, <c>token_type_ids</c> [batch, sequence] and outputs <c>last_hidden_state</c>
/// [batch, sequence, hidden] and <c>pooler_output</c> [batch, hidden] (tanh dense layer on the first token) — the
/// graph Hugging Face's ONNX export of <c>BertModel</c> computes, written the way PyTorch's exporter spells it so ONNX
/// Runtime applies its usual fusions (LayerNorm, GELU).
/// </summary>
public static class TestBertModel
{
    public const string InputIds = "input_ids";
    public const string AttentionMask = "attention_mask";
    public const string TokenTypeIds = "token_type_ids";
    public const string LastHiddenState = "last_hidden_state";
    public const string PooledOutput = "pooler_output";

    /// <summary>The model for <paramref name="config"/> (weights from <see cref="TestBertWeights.Create"/>).</summary>
    public static OnnxModel Build(TestBertConfig config) => Build(TestBertWeights.Create(config));

    public static OnnxModel Build(TestBertWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var config = weights.Config;
        int h = config.HiddenSize, f = config.IntermediateSize;
        var b = new GraphBuilder("test_bert", opsetVersion: 17);
        b.ProducerName = "OnnxTransfer.TestSupport";
        b.SetMetadata("onnxtransfer.test_model", $"BERT-architecture encoder with random weights (seed {config.Seed}); not a trained model");
        var indexType = config.Int32Inputs ? OnnxDataType.Int32 : OnnxDataType.Int64;
        var ids = b.AddInput(InputIds, indexType, "batch", "sequence");
        var mask = b.AddInput(AttentionMask, indexType, "batch", "sequence");
        var types = config.TokenTypeInput ? b.AddInput(TokenTypeIds, indexType, "batch", "sequence") : null;

        // Embeddings: word[ids] + position[0:T] + type[type_ids], then LayerNorm.
        var word = b.AddNode("Gather", [b.AddInitializer("embeddings.word", weights.WordEmbeddings, [config.VocabularySize, h]), ids]).Output;
        var length = b.AddNode("Shape", [ids]).Int("start", 1).Int("end", 2).Output;
        var zero = Ints(b, "const.zero", 0);
        var positions = b.AddNode("Slice", [b.AddInitializer("embeddings.position", weights.PositionEmbeddings, [config.MaxPositions, h]), zero, length, zero]).Output;
        var sum = b.AddNode("Add", [word, positions]).Output;
        if (types is not null)
        {
            var typeTable = b.AddInitializer("embeddings.token_type", weights.TypeEmbeddings, [config.TypeVocabularySize, h]);
            sum = b.AddNode("Add", [sum, b.AddNode("Gather", [typeTable, types]).Output]).Output;
        }
        var hidden = LayerNorm(b, sum, "embeddings.norm", weights.EmbeddingNormScale, weights.EmbeddingNormBias, config.LayerNormEpsilon);

        // The additive attention mask, [B, 1, 1, T]: 0 where a token is, −10000 where padding is.
        var maskFloat = b.AddNode("Cast", [mask]).Int("to", (long)OnnxDataType.Float).Output;
        var inverted = b.AddNode("Sub", [Scalar(b, "const.one", 1f), maskFloat]).Output;
        var additive = b.AddNode("Mul", [inverted, Scalar(b, "const.mask_value", -10000f)]).Output;
        var attentionBias = b.AddNode("Unsqueeze", [additive, Ints(b, "const.mask_axes", 1, 2)]).Output;

        var splitHeads = Ints(b, "const.split_heads", 0, 0, config.Heads, config.HeadSize);
        var mergeHeads = Ints(b, "const.merge_heads", 0, 0, h);
        var scale = Scalar(b, "const.attention_scale", MathF.Sqrt(config.HeadSize));
        var sqrt2 = Scalar(b, "const.sqrt2", MathF.Sqrt(2f));
        var half = Scalar(b, "const.half", 0.5f);
        var one = "const.one";
        for (var l = 0; l < config.Layers; l++)
        {
            var w = weights.Layers[l];
            var p = $"layer{l}.";
            var q = Dense(b, hidden, p + "query", w.Query, w.QueryBias, h, h);
            var k = Dense(b, hidden, p + "key", w.Key, w.KeyBias, h, h);
            var v = Dense(b, hidden, p + "value", w.Value, w.ValueBias, h, h);
            var qh = b.AddNode("Transpose", [b.AddNode("Reshape", [q, splitHeads]).Output]).Ints("perm", 0, 2, 1, 3).Output;
            var kh = b.AddNode("Transpose", [b.AddNode("Reshape", [k, splitHeads]).Output]).Ints("perm", 0, 2, 3, 1).Output;
            var vh = b.AddNode("Transpose", [b.AddNode("Reshape", [v, splitHeads]).Output]).Ints("perm", 0, 2, 1, 3).Output;
            var scores = b.AddNode("Div", [b.AddNode("MatMul", [qh, kh]).Output, scale]).Output;
            var probabilities = b.AddNode("Softmax", [b.AddNode("Add", [scores, attentionBias]).Output]).Int("axis", -1).Output;
            var context = b.AddNode("MatMul", [probabilities, vh]).Output;
            var merged = b.AddNode("Reshape", [b.AddNode("Transpose", [context]).Ints("perm", 0, 2, 1, 3).Output, mergeHeads]).Output;
            var attention = Dense(b, merged, p + "attention_output", w.AttentionOutput, w.AttentionOutputBias, h, h);
            var attended = LayerNorm(b, b.AddNode("Add", [attention, hidden]).Output, p + "attention_norm",
                w.AttentionNormScale, w.AttentionNormBias, config.LayerNormEpsilon);

            var intermediate = Dense(b, attended, p + "intermediate", w.Intermediate, w.IntermediateBias, h, f);
            // GELU(x) = x · ½ · (1 + erf(x / √2)), spelt as PyTorch exports it.
            var erf = b.AddNode("Erf", [b.AddNode("Div", [intermediate, sqrt2]).Output]).Output;
            var gelu = b.AddNode("Mul", [b.AddNode("Mul", [intermediate, b.AddNode("Add", [erf, one]).Output]).Output, half]).Output;
            var output = Dense(b, gelu, p + "output", w.Output, w.OutputBias, f, h);
            var name = l == config.Layers - 1 ? LastHiddenState : null;
            hidden = LayerNorm(b, b.AddNode("Add", [output, attended]).Output, p + "output_norm",
                w.OutputNormScale, w.OutputNormBias, config.LayerNormEpsilon, name);
        }
        b.AddOutput(LastHiddenState, OnnxDataType.Float, "batch", "sequence", h);

        if (config.PoolerOutput)
        {
            var first = b.AddNode("Gather", [hidden, b.AddInitializer("const.first_token", [0L], [])]).Int("axis", 1).Output;
            var dense = Dense(b, first, "pooler", weights.Pooler, weights.PoolerBias, h, h);
            b.AddNode("Tanh", [dense], [PooledOutput]);
            b.AddOutput(PooledOutput, OnnxDataType.Float, "batch", h);
        }
        return b.Build();
    }

    /// <summary>Builds and saves the model; returns <paramref name="path"/>.</summary>
    public static string Save(TestBertConfig config, string path)
    {
        Build(config).Save(path);
        return path;
    }

    private static string Dense(GraphBuilder b, string x, string name, float[] weight, float[] bias, int inputs, int outputs)
    {
        var w = b.AddInitializer(name + ".weight", weight, [inputs, outputs]);
        var bb = b.AddInitializer(name + ".bias", bias, [outputs]);
        return b.AddNode("Add", [b.AddNode("MatMul", [x, w]).Output, bb]).Output;
    }

    private static string LayerNorm(GraphBuilder b, string x, string name, float[] scale, float[] bias, float epsilon, string? output = null)
    {
        var s = b.AddInitializer(name + ".scale", scale, [scale.Length]);
        var bb = b.AddInitializer(name + ".bias", bias, [bias.Length]);
        return b.AddNode("LayerNormalization", [x, s, bb], output is null ? null : [output]).Int("axis", -1).Float("epsilon", epsilon).Output;
    }

    private static string Scalar(GraphBuilder b, string name, float value) => b.AddInitializer(name, [value], []);

    private static string Ints(GraphBuilder b, string name, params long[] values) => b.AddInitializer(name, values, [values.Length]);
}
