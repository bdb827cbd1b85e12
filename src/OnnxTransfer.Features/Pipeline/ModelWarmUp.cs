using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Pipeline;

/// <summary>
/// Whether extraction and scoring run the model once on a blank full batch before their pipeline starts
/// (<c>--warm-up auto|on|off</c>). On CUDA the model's first run at a batch shape is slow: CUDA loads its kernels, cuDNN
/// benchmarks every convolution's algorithms (exhaustive search by default), ONNX Runtime's GPU memory arena grows. Run
/// on a blank batch before the decoders start, that one-time cost is timed on its own (the summaries'
/// <c>WarmUpTime</c>), so the rest of the run measures what the pipeline sustains: the way a PyTorch loop is timed
/// after its warm-up batch. It costs the run nothing but the overlap of those seconds with decoding the first batches.
/// On CPU a blank batch would cost a whole batch of inference of its own, so auto is off there. Only image models warm up: a text batch's shape follows its longest text, so no one run stands for the rest.
/// </summary>
public static class ModelWarmUp
{
    /// <summary>Whether <paramref name="setting"/> warms up a model whose session runs on <paramref name="activeProviders"/>.</summary>
    public static bool Resolve(SpeedSwitch setting, IReadOnlyList<string> activeProviders)
    {
        ArgumentNullException.ThrowIfNull(activeProviders);
        return setting == SpeedSwitch.On || (setting == SpeedSwitch.Auto && activeProviders.Contains(EmbeddingNumerics.CudaProvider));
    }

    /// <summary>
    /// Runs <paramref name="warmUp"/> when <paramref name="setting"/> says so for <paramref name="activeProviders"/> and
    /// returns how long it took; zero when it did not run or the model does not warm up (it returned false).
    /// </summary>
    public static TimeSpan Time(SpeedSwitch setting, IReadOnlyList<string> activeProviders, Func<bool> warmUp)
    {
        ArgumentNullException.ThrowIfNull(warmUp);
        if (!Resolve(setting, activeProviders)) return TimeSpan.Zero;
        var start = Stopwatch.GetTimestamp();
        return warmUp() ? Stopwatch.GetElapsedTime(start) : TimeSpan.Zero;
    }
}
