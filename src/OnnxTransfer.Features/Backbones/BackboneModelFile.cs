using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// The steps every backbone kind takes with its model file: find it, check its sha256 against the spec, parse it, and
/// create the ONNX Runtime session for the (cut) model. One place, so image and text backbones refuse the same
/// problems with the same messages.
/// </summary>
internal static class BackboneModelFile
{
    /// <summary>The model's full path and sha256; a missing file or a sha256 other than the spec's is refused.</summary>
    public static (string Path, string Sha256) Verify(BackboneSpec spec, List<string> notes)
    {
        var modelPath = spec.ResolveModelPath();
        if (!File.Exists(modelPath))
            throw new BackboneSpecException(
                $"The model of backbone '{spec.Name}' is not at '{modelPath}' (model.path \"{spec.ModelPath}\"). " +
                "Check the path and the variables it uses; onnx-models/README.md says how to obtain each model.");
        var sha = FileHash.Sha256(modelPath);
        if (spec.ModelSha256 is null)
            notes.Add($"The spec does not pin the model file; its sha256 is {sha} (put it in model.sha256 to pin it).");
        else if (!string.Equals(spec.ModelSha256, sha, StringComparison.OrdinalIgnoreCase))
            throw new BackboneSpecException(
                $"The model file '{modelPath}' has sha256 {sha}, but the spec expects {spec.ModelSha256}. It is a different file " +
                "(another export, download or version): use the file the spec names, or write a spec for this one with `onnxtransfer backbone init`.");
        return (modelPath, sha);
    }

    public static OnnxModel Parse(BackboneSpec spec, string modelPath)
    {
        try { return OnnxModel.Load(modelPath); }
        catch (OnnxModelException e) { throw new BackboneSpecException($"Backbone '{spec.Name}': {e.Message}", e); }
    }

    /// <summary>
    /// Refuses, before anything else is checked, a model the precision asked cannot honestly run: a graph that already
    /// computes in float16 runs only as fp16 (so the cache's numerics say what made the embeddings), an int8 one never as fp16.
    /// </summary>
    public static void CheckPrecision(BackboneSpec spec, OnnxModel model, BackboneRunOptions options)
    {
        if (ModelPrecision.Refusal(model, options.Precision) is { } refusal) throw new BackboneSpecException($"Backbone '{spec.Name}': {refusal}");
    }

    /// <summary>
    /// The (cut) model as the precision asked computes it: fp16 converts a float32 graph in memory to float16 with its
    /// float32 inputs and outputs kept (<see cref="OnnxModel.ConvertToFloat16"/>), and notes what it did.
    /// </summary>
    public static void ApplyPrecision(BackboneSpec spec, OnnxModel model, BackboneRunOptions options, List<string> notes)
    {
        try
        {
            if (ModelPrecision.Apply(model, options.Precision) is { } note) notes.Add(note);
        }
        catch (OnnxModelException e)
        {
            throw new BackboneSpecException($"Backbone '{spec.Name}': cannot run in fp16: {e.Message}", e);
        }
        if (options.Precision == ComputePrecision.Fp16 && options.Device == DeviceKind.Cpu)
            notes.Add("fp16 on CPU is slower than fp32 (ONNX Runtime casts around the operators it has no float16 kernel for): " +
                      "use it to check a float16 model or fp16's effect; for speed, run fp16 with --device cuda.");
    }

    /// <summary>A session over the model as edited in memory (external weights, if any, stay beside the original file).</summary>
    public static ModelSession CreateSession(OnnxModel model, string modelPath, BackboneRunOptions options)
    {
        var config = new Dictionary<string, string>();
        if (model.HasExternalData) config["session.model_external_initializers_file_folder_path"] = System.IO.Path.GetDirectoryName(modelPath)!;
        var settings = new SessionSettings
        {
            IntraOpThreads = options.IntraOpThreads,
            AllowSpinning = options.AllowSpinning,
            ExecutionProviders = options.Device == DeviceKind.Cuda
                ? [ExecutionProvider.Cuda(options.DeviceId, options.CudaProviderOptions()), ExecutionProvider.Cpu]
                : [ExecutionProvider.Cpu],
            ProviderFallback = options.Strict ? ProviderFallback.Strict : ProviderFallback.FallbackToCpu,
            WarningSink = options.WarningSink,
            ConfigEntries = config,
        };
        return ModelSession.Open(model.ToBytes(), settings);
    }
}
