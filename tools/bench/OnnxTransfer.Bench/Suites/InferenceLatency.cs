using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Imaging;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Inference.Prediction;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// The cost of serving a head: the fused model, the chained backbone + head, and the backbone alone (cut at its
/// features, pooled as the spec says — what extraction runs), on the same preprocessed real images. Batch 1: time per
/// call (median, p99); batch 32: images/s. One implementation per process (--impl fused|chained|backbone).
/// Goal (issue 6): fused within 3% of the backbone alone.
/// </summary>
public static class InferenceLatency
{
    public static void Run(Arguments options)
    {
        var impl = options.Required("impl");
        var spec = BackboneSpecFile.Load(options.Required("backbone"));
        var images = Directory.GetFiles(options.Required("images"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(64).ToArray();
        var batch = options.Int("batch", 1);
        var iterations = options.Int("iterations", batch == 1 ? 300 : 30);
        var warmup = options.Int("warmup", 20);
        var threads = options.Int("threads", 0);
        var label = options.Optional("label") ?? spec.Name;

        // Real images, decoded and preprocessed once: the suite times the models, not the JPEG decoder.
        var preprocessor = new ImagePreprocessor(spec.RequireImage().ToPreprocessSettings(spec.Layout));
        var decoder = new ImageDecoder(spec.Image!.ToDecoderOptions());
        var length = preprocessor.TensorLength;
        var input = new float[batch * length];
        for (var i = 0; i < batch; i++)
        {
            using var image = decoder.Decode(images[i % images.Length], preprocessor);
            preprocessor.Process(image, input.AsSpan(i * length, length));
        }

        Action step;
        IDisposable owner;
        string name;
        switch (impl)
        {
            case "backbone":
            {
                var backbone = ImageBackbone.Load(spec, new BackboneRunOptions { IntraOpThreads = threads, AllowSpinning = true });
                var buffers = backbone.CreateBatch(batch);
                input.CopyTo(buffers.Input);
                var embeddings = new float[batch * backbone.Dimension];
                step = () => backbone.Embed(buffers, batch, embeddings);
                owner = new Owners(buffers, backbone);
                name = "backbone alone";
                break;
            }
            case "fused" or "chained":
            {
                var predictorOptions = new PredictorOptions { IntraOpThreads = threads, MaxBatchSize = batch };
                var predictor = impl == "fused"
                    ? Predictor.FromFusedModel(options.Required("fused"), predictorOptions)
                    : Predictor.FromBackbone(spec, HeadModel.Load(options.Required("head")), predictorOptions);
                var probabilities = new float[batch * predictor.Labels.Count];
                step = () => predictor.PredictPreprocessed(input, batch, probabilities);
                owner = predictor;
                name = impl == "fused" ? "onnxtransfer" : "chained";
                break;
            }
            default:
                throw new ArgumentException($"--impl {impl}: use fused, chained or backbone");
        }
        using (owner)
        {
            var measurement = Measurement.Run(warmup, iterations, step);
            var @case = $"{label} batch {batch}";
            var details = new Dictionary<string, string> { ["implementation"] = impl, ["threads"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            if (batch == 1)
            {
                ResultWriter.Write("inference", @case, name, "ms per image (median)", measurement.Median, lowerIsBetter: true, details);
                ResultWriter.Write("inference", @case, name, "ms per image (p99)", measurement.P99, lowerIsBetter: true, details);
            }
            else
            {
                ResultWriter.Write("inference", @case, name, "images/s", batch / (measurement.Median / 1000), lowerIsBetter: false, details);
            }
        }
    }

    private sealed class Owners(params IDisposable[] owned) : IDisposable
    {
        public void Dispose()
        {
            foreach (var o in owned) o.Dispose();
        }
    }
}
