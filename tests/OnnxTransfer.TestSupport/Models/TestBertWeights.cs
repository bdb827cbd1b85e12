namespace OnnxTransfer.TestSupport.Models;

/// <summary>The weights of one transformer layer; dense weights are [in, out] (x · W + b), as ONNX MatMul takes them.</summary>
public sealed class TestBertLayerWeights
{
    public required float[] Query { get; init; }
    public required float[] QueryBias { get; init; }
    public required float[] Key { get; init; }
    public required float[] KeyBias { get; init; }
    public required float[] Value { get; init; }
    public required float[] ValueBias { get; init; }
    public required float[] AttentionOutput { get; init; }
    public required float[] AttentionOutputBias { get; init; }
    public required float[] AttentionNormScale { get; init; }
    public required float[] AttentionNormBias { get; init; }
    public required float[] Intermediate { get; init; }
    public required float[] IntermediateBias { get; init; }
    public required float[] Output { get; init; }
    public required float[] OutputBias { get; init; }
    public required float[] OutputNormScale { get; init; }
    public required float[] OutputNormBias { get; init; }
}

/// <summary>
/// Every weight of a test BERT, drawn from a SplitMix64 stream seeded by <see cref="TestBertConfig.Seed"/>: uniform
/// with the configured standard deviation for matrices and embeddings, small for biases, near 1 for LayerNorm scales.
/// The draw order is fixed here, so a config always gives the same numbers (on any machine, in any .NET version).
/// </summary>
public sealed class TestBertWeights
{
    private TestBertWeights(TestBertConfig config) => Config = config;

    public TestBertConfig Config { get; }

    /// <summary>[vocabulary, hidden].</summary>
    public float[] WordEmbeddings { get; private init; } = [];

    /// <summary>[max positions, hidden].</summary>
    public float[] PositionEmbeddings { get; private init; } = [];

    /// <summary>[type vocabulary, hidden].</summary>
    public float[] TypeEmbeddings { get; private init; } = [];

    public float[] EmbeddingNormScale { get; private init; } = [];
    public float[] EmbeddingNormBias { get; private init; } = [];
    public IReadOnlyList<TestBertLayerWeights> Layers { get; private init; } = [];

    /// <summary>[hidden, hidden].</summary>
    public float[] Pooler { get; private init; } = [];
    public float[] PoolerBias { get; private init; } = [];

    public static TestBertWeights Create(TestBertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var random = new SplitMix64(config.Seed);
        int h = config.HiddenSize, f = config.IntermediateSize;
        var spread = config.InitializerRange * MathF.Sqrt(3f); // uniform(-a, a) has standard deviation a/√3
        float[] Matrix(int count) => random.Uniform(count, spread);
        float[] Bias(int count) => random.Uniform(count, spread * 0.5f);
        float[] Scale(int count) => random.Uniform(count, 0.1f, centre: 1f);

        var word = Matrix(config.VocabularySize * h);
        var position = Matrix(config.MaxPositions * h);
        var type = Matrix(config.TypeVocabularySize * h);
        var normScale = Scale(h);
        var normBias = Bias(h);
        var layers = new TestBertLayerWeights[config.Layers];
        for (var l = 0; l < layers.Length; l++)
        {
            layers[l] = new TestBertLayerWeights
            {
                Query = Matrix(h * h), QueryBias = Bias(h),
                Key = Matrix(h * h), KeyBias = Bias(h),
                Value = Matrix(h * h), ValueBias = Bias(h),
                AttentionOutput = Matrix(h * h), AttentionOutputBias = Bias(h),
                AttentionNormScale = Scale(h), AttentionNormBias = Bias(h),
                Intermediate = Matrix(h * f), IntermediateBias = Bias(f),
                Output = Matrix(f * h), OutputBias = Bias(h),
                OutputNormScale = Scale(h), OutputNormBias = Bias(h),
            };
        }
        return new TestBertWeights(config)
        {
            WordEmbeddings = word,
            PositionEmbeddings = position,
            TypeEmbeddings = type,
            EmbeddingNormScale = normScale,
            EmbeddingNormBias = normBias,
            Layers = layers,
            Pooler = Matrix(h * h),
            PoolerBias = Bias(h),
        };
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): tiny, fast and fully specified, so the stream never changes.</summary>
    private sealed class SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        private ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary><paramref name="count"/> values uniform in [centre − spread, centre + spread).</summary>
        public float[] Uniform(int count, float spread, float centre = 0f)
        {
            var values = new float[count];
            for (var i = 0; i < values.Length; i++)
            {
                var unit = (Next() >> 40) * (1.0 / (1UL << 24)); // 24 random bits: [0, 1)
                values[i] = centre + (float)((unit * 2 - 1) * spread);
            }
            return values;
        }
    }
}
