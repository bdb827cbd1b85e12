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
    private readonly string[] _outputNames;
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
        _outputNames = model.Ood is null ? [ModelLayout.ProbabilitiesOutput] : [ModelLayout.ProbabilitiesOutput, ModelLayout.OodScoreOutput];
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
    public Buffers CreateBuffers(int capacity, float[] probabilities, float[] oodScores) => new(capacity, _dimension, _classes, probabilities, oodScores);

    /// <summary>Probabilities of the first <paramref name="count"/> embeddings of <paramref name="buffers"/>.</summary>
    public void Run(Buffers buffers, int count, CancellationToken cancellationToken)
    {
        if (count == buffers.Capacity)
        {
            _session.Run(_input, [buffers.FullFeatures], _outputNames, _outputNames.Length == 1 ? [buffers.FullOutput] : [buffers.FullOutput, buffers.FullOod], cancellationToken);
            return;
        }
        // A short last batch: views over the first rows of the same buffers.
        using var features = TensorValues.Over(new Memory<float>(buffers.Embeddings, 0, count * _dimension), [count, _dimension]);
        using var output = TensorValues.Over(new Memory<float>(buffers.Probabilities, 0, count * _classes), [count, _classes]);
        using var ood = TensorValues.Over(new Memory<float>(buffers.OodScores, 0, count), [count]);
        _session.Run(_input, [features], _outputNames, _outputNames.Length == 1 ? [output] : [output, ood], cancellationToken);
    }

    public void Dispose() => _session.Dispose();

    public sealed class Buffers : IDisposable
    {
        internal Buffers(int capacity, int dimension, int classes, float[] probabilities, float[] oodScores)
        {
            Capacity = capacity;
            Probabilities = probabilities;
            OodScores = oodScores;
            FullOod = TensorValues.Over<float>(oodScores, [capacity]);
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

        /// <summary>The OOD scores the head writes, [capacity] (unused when it has none).</summary>
        public float[] OodScores { get; }

        public OrtValue FullOod { get; }

        public void Dispose()
        {
            FullOod.Dispose();
            FullFeatures.Dispose();
            FullOutput.Dispose();
        }
    }
}
