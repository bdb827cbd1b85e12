using System.CommandLine;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Numerics;

namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>
/// <c>--precision fp32|tf32|fp16</c>: the float precision asked of the backbone's provider. Part of the embeddings'
/// numerics, so a cache records it and refuses parts of another.
/// </summary>
public static class PrecisionOption
{
    public static Option<string> Create() => new Option<string>("--precision")
    {
        Description = "Float precision of the model: fp32 (default); tf32 (CUDA's tensor-core convolutions); fp16 (the model converted " +
                      "to float16 in memory: fast on CUDA, slower than fp32 on CPU). Recorded in a cache's numerics.",
        DefaultValueFactory = _ => "fp32",
    }.AcceptingOnly("fp32", "tf32", "fp16");

    /// <summary>The parsed value.</summary>
    public static ComputePrecision Parse(ParseResult parseResult, Option<string> option) =>
        ComputePrecisionNames.Parse(parseResult.GetValue(option)) ?? ComputePrecision.Fp32;

    /// <summary>Refuses run options the library would refuse (e.g. tf32 on CPU) as a usage error, with the library's message.</summary>
    public static BackboneRunOptions Checked(BackboneRunOptions options)
    {
        try { options.Validate(); }
        catch (ArgumentException e) { throw new CliException(e.Message, ExitCodes.Usage); }
        return options;
    }

    private static Option<string> AcceptingOnly(this Option<string> option, params string[] values)
    {
        option.AcceptOnlyFromAmong(values);
        return option;
    }
}
