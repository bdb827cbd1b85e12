using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Formats;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// The head half of the chained forms (image and text): a second session that reads the backbone's pooled,
/// normalised embeddings from memory and writes the probabilities. Opened only for a head that fits the backbone.
/// </summary>
internal sealed class ChainedHead : IDisposable
{
    private static readonly string[] OutputNames = [ModelLayout.ProbabilitiesOutput];
    private readonly ModelSession _session;
    private readonly string[] _input;
    private readonly int _dimension;
    private readonly int _classes;

    private ChainedHead(HeadModel model, ModelSession session, int dimension)
    {
        Model = model;
        _session = session;
        _input = [model.InputName];
        _dimension = dimension;
        _classes = model.Labels.Count;
    }

    public HeadModel Model { get; }

    public IReadOnlyList<string> Warnings => _session.Warnings;

    /// <summary>Checks the head against the backbone (fingerprint, dimension), then opens its session.</summary>
    public static ChainedHead Open(BackboneFingerprint backbone, int dimension, HeadModel head, PredictorOptions options)
    {
        HeadCompatibility.Check(backbone, dimension, head, options.AllowFingerprintMismatch, options.WarningSink);
        return new ChainedHead(head, ModelSession.Open(head.Model.ToBytes(), PredictorSessions.For(options)), dimension);
    }

    /// <summary>The engine identity: the backbone's fingerprint and this head's file.</summary>
    public string Identity(BackboneFingerprint backbone) => $"backbone fingerprint sha256:{backbone.Sha256} + head sha256:{Model.Sha256}";

    /// <summary>Embedding buffer and full-batch tensors for one engine batch, writing into its probabilities.</summary>
    public Buffers CreateBuffers(int capacity, float[] probabilities) => new(capacity, _dimension, _classes, probabilities);

    /// <summary>Probabilities of the first <paramref name="count"/> embeddings of <paramref name="buffers"/>.</summary>
    public void Run(Buffers buffers, int count, CancellationToken cancellationToken)
    {
        if (count == buffers.Capacity)
        {
            _session.Run(_input, [buffers.FullFeatures], OutputNames, [buffers.FullOutput], cancellationToken);
            return;
        }
        // A short last batch: views over the first rows of the same buffers.
        using var features = TensorValues.Over(new Memory<float>(buffers.Embeddings, 0, count * _dimension), [count, _dimension]);
        using var output = TensorValues.Over(new Memory<float>(buffers.Probabilities, 0, count * _classes), [count, _classes]);
        _session.Run(_input, [features], OutputNames, [output], cancellationToken);
    }

    public void Dispose() => _session.Dispose();

    public sealed class Buffers : IDisposable
    {
        internal Buffers(int capacity, int dimension, int classes, float[] probabilities)
        {
            Capacity = capacity;
            Probabilities = probabilities;
            Embeddings = new float[checked(capacity * dimension)];
            FullFeatures = TensorValues.Over<float>(Embeddings, [capacity, dimension]);
            FullOutput = TensorValues.Over<float>(probabilities, [capacity, classes]);
        }

        public int Capacity { get; }

        /// <summary>The pooled, normalised embeddings the head reads, [capacity, D].</summary>
        public float[] Embeddings { get; }

        public float[] Probabilities { get; }

        public OrtValue FullFeatures { get; }

        public OrtValue FullOutput { get; }

        public void Dispose()
        {
            FullFeatures.Dispose();
            FullOutput.Dispose();
        }
    }
}
