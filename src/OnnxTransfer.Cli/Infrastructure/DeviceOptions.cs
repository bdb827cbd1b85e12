using System.CommandLine;
using OnnxTransfer.Features.Backbones;

namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>
/// <c>--device cpu|cuda</c>, <c>--device-id</c>, <c>--cpu-fallback</c>, <c>--threads</c>, <c>--fixed-batch</c>,
/// <c>--io-binding</c>, <c>--cudnn-search</c> and <c>--prefer-nhwc</c>: the options of every
/// command that runs a model, turned into <see cref="BackboneRunOptions"/> in one place.
/// </summary>
public sealed class DeviceOptions
{
    public Option<string> Device { get; } = new("--device")
    {
        Description = "Where the model runs: cpu or cuda. cuda needs the GPU build of onnxtransfer (publish with -p:OnnxTransferGpu=true), CUDA 13 and cuDNN 9; `onnxtransfer doctor` says what is missing.",
        DefaultValueFactory = _ => "cpu",
    };

    public Option<int> DeviceId { get; } = new("--device-id")
    {
        Description = "CUDA device index.",
        DefaultValueFactory = _ => 0,
    };

    public Option<bool> CpuFallback { get; } = new("--cpu-fallback")
    {
        Description = "With --device cuda: if CUDA cannot start, warn and run on CPU instead of failing.",
    };

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "Threads for the model's operators (0 = one per physical core this process may use; `onnxtransfer doctor` shows the count).",
        DefaultValueFactory = _ => 0,
    };

    public Option<string> FixedBatch { get; } = new("--fixed-batch")
    {
        Description = "Pad the short last batch to the batch size and drop the padding rows, so the model sees one batch shape " +
                      "(on CUDA a new shape costs a fresh cuDNN algorithm search): auto (default: on for cuda, off for cpu), on or off. " +
                      "Embeddings are the same either way.",
        DefaultValueFactory = _ => "auto",
    };

    public Option<string> IoBinding { get; } = new("--io-binding")
    {
        Description = "Bind each batch's input and output tensors to the model once (ONNX Runtime IOBinding) and, on cuda, keep them in " +
                      "pinned host memory reused across batches, so copies to and from the GPU are DMA transfers: auto (default: on for cuda, " +
                      "off for cpu), on or off. Results are the same either way.",
        DefaultValueFactory = _ => "auto",
    };

    public Option<string?> CudnnSearch { get; } = new("--cudnn-search")
    {
        Description = "With --device cuda: how cuDNN picks convolution algorithms: exhaustive (default; benchmarked once per batch shape), " +
                      "heuristic or default. Refused with --device cpu.",
    };

    public Option<string> PreferNhwc { get; } = new("--prefer-nhwc")
    {
        Description = "With --device cuda: run convolutions channels-last (NHWC), the layout tensor cores work in, instead of " +
                      "transposing around each one: auto (default: on for --precision tf32 and fp16, off for fp32), on or off. " +
                      "on is refused with --device cpu.",
        DefaultValueFactory = _ => "auto",
    };

    public DeviceOptions()
    {
        FixedBatch.AcceptOnlyFromAmong("auto", "on", "off");
        IoBinding.AcceptOnlyFromAmong("auto", "on", "off");
        CudnnSearch.AcceptOnlyFromAmong("exhaustive", "heuristic", "default");
        PreferNhwc.AcceptOnlyFromAmong("auto", "on", "off");
        Device.AcceptOnlyFromAmong("cpu", "cuda");
        DeviceId.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--device-id must be 0 or more."); });
        Threads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--threads must be 0 or more."); });
    }

    /// <param name="batches">Also the batch settings (--fixed-batch, --io-binding, --cudnn-search, --prefer-nhwc): false for a command
    /// that runs a model once on given tensors (`run`), where they would change nothing.</param>
    public void AddTo(Command command, bool batches = true)
    {
        command.Options.Add(Device);
        command.Options.Add(DeviceId);
        command.Options.Add(CpuFallback);
        command.Options.Add(Threads);
        if (!batches) return;
        command.Options.Add(FixedBatch);
        command.Options.Add(IoBinding);
        command.Options.Add(CudnnSearch);
        command.Options.Add(PreferNhwc);
    }

    /// <summary>The device settings for a model run; warnings go to stderr.</summary>
    public BackboneRunOptions ToRunOptions(ParseResult parseResult) => new()
    {
        IntraOpThreads = parseResult.GetValue(Threads),
        Device = parseResult.GetValue(Device) == "cuda" ? DeviceKind.Cuda : DeviceKind.Cpu,
        DeviceId = parseResult.GetValue(DeviceId),
        Strict = !parseResult.GetValue(CpuFallback),
        FixedBatch = GpuBatchNames.ParseSwitch(parseResult.GetValue(FixedBatch)) ?? SpeedSwitch.Auto,
        IoBinding = GpuBatchNames.ParseSwitch(parseResult.GetValue(IoBinding)) ?? SpeedSwitch.Auto,
        CudnnSearch = GpuBatchNames.ParseCudnnSearch(parseResult.GetValue(CudnnSearch)),
        PreferNhwc = GpuBatchNames.ParseSwitch(parseResult.GetValue(PreferNhwc)) ?? SpeedSwitch.Auto,
        WarningSink = message => Console.Error.WriteLine($"warning: {message}"),
    };
}
