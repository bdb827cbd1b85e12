using System.CommandLine;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>
/// <c>--device cpu|cuda</c>, <c>--device-id</c>, <c>--cpu-fallback</c> and <c>--threads</c>: the options of every
/// command that runs a model, turned into runtime <see cref="SessionOptions"/> in one place.
/// </summary>
public sealed class DeviceOptions
{
    public Option<string> Device { get; } = new("--device")
    {
        Description = "Where the model runs: cpu or cuda. cuda needs an ONNX Runtime GPU build (see --ort-library).",
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
        Description = "Threads for the model's operators (0 = one per core).",
        DefaultValueFactory = _ => 0,
    };

    public DeviceOptions()
    {
        Device.AcceptOnlyFromAmong("cpu", "cuda");
        DeviceId.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--device-id must be 0 or more."); });
        Threads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--threads must be 0 or more."); });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Device);
        command.Options.Add(DeviceId);
        command.Options.Add(CpuFallback);
        command.Options.Add(Threads);
    }

    public SessionOptions ToSessionOptions(ParseResult parseResult, Action<string>? warningSink = null)
    {
        var useCuda = parseResult.GetValue(Device) == "cuda";
        return new SessionOptions
        {
            IntraOpThreads = parseResult.GetValue(Threads),
            ExecutionProviders = useCuda
                ? [ExecutionProvider.Cuda(parseResult.GetValue(DeviceId)), ExecutionProvider.Cpu]
                : [ExecutionProvider.Cpu],
            ProviderFallback = parseResult.GetValue(CpuFallback) ? ProviderFallback.FallbackToCpu : ProviderFallback.Strict,
            WarningSink = warningSink ?? (message => Console.Error.WriteLine($"warning: {message}")),
        };
    }
}
