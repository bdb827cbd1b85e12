using System.CommandLine;
using OnnxTransfer.Features.Backbones;

namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>
/// <c>--warm-up auto|on|off</c> of <c>extract</c> and <c>score</c>: run the model once on a blank batch before the
/// decoders start, timed apart (<see cref="Features.Pipeline.ModelWarmUp"/>).
/// </summary>
public static class WarmUpOption
{
    public static Option<string> Create()
    {
        var option = new Option<string>("--warm-up")
        {
            Description = "Run the model once on a blank full batch before decoding starts, timed on its own (its first run on cuda loads " +
                          "kernels and searches cuDNN's algorithms), so the images/s after it is what the pipeline sustains: auto (default: " +
                          "on for cuda, off for cpu, where it would cost a batch of inference), on or off. Image models only; results are the same either way.",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "on", "off");
        return option;
    }

    /// <summary>The parsed value.</summary>
    public static SpeedSwitch Parse(ParseResult parseResult, Option<string> option) =>
        GpuBatchNames.ParseSwitch(parseResult.GetValue(option)) ?? SpeedSwitch.Auto;
}
