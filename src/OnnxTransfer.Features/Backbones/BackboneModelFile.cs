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
                ? [ExecutionProvider.Cuda(options.DeviceId, CudaOptions(options)), ExecutionProvider.Cpu]
                : [ExecutionProvider.Cpu],
            ProviderFallback = options.Strict ? ProviderFallback.Strict : ProviderFallback.FallbackToCpu,
            WarningSink = options.WarningSink,
            ConfigEntries = config,
        };
        return ModelSession.Open(model.ToBytes(), settings);
    }

    /// <summary>The CUDA provider options: precision and the convolution algorithm search.</summary>
    private static Dictionary<string, string> CudaOptions(BackboneRunOptions options)
    {
        var cuda = CudaPrecisionOptions(options.Precision);
        cuda["cudnn_conv_algo_search"] = GpuBatchNames.ProviderValue(options.EffectiveCudnnSearch);
        return cuda;
    }

    /// <summary>
    /// The CUDA provider's setting for the precision asked: TF32 tensor-core math only when tf32 is asked, so fp32 means
    /// fp32 (ONNX Runtime's own default would let cuBLAS/cuDNN use TF32). fp16 has no provider switch: running an fp32
    /// model in half precision needs the model converted, so it is refused rather than recorded without effect.
    /// </summary>
    private static Dictionary<string, string> CudaPrecisionOptions(ComputePrecision precision) => precision switch
    {
        ComputePrecision.Fp32 => new() { ["use_tf32"] = "0" },
        ComputePrecision.Tf32 => new() { ["use_tf32"] = "1" },
        _ => throw new BackboneSpecException(
            "Precision fp16 needs a float16 model: convert the model to float16 (e.g. onnxconverter-common's float16 tool) " +
            "and name it in the spec; the CUDA provider has no switch that runs an fp32 model in half precision."),
    };
}
