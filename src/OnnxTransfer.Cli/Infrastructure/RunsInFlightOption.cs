using System.CommandLine;
using OnnxTransfer.Features.Pipeline;

namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>
/// <c>--runs-in-flight N|auto</c> of <c>extract</c> and <c>score</c>: how many batches the model runs at once
/// (<see cref="RunsInFlight"/>). A count below 1 is refused with the fix.
/// </summary>
public static class RunsInFlightOption
{
    public static Option<string> Create()
    {
        var option = new Option<string>("--runs-in-flight")
        {
            Description = "Batches the model runs at once: auto (default: 2 on cuda, so one batch's copies and kernels overlap the next one's; " +
                          "1 on cpu, whose cores the model's threads already use) or a count. Results are the same either way.",
            HelpName = "N|auto",
            DefaultValueFactory = _ => "auto",
        };
        option.Validators.Add(r =>
        {
            if (RunsInFlight.Parse(r.GetValueOrDefault<string>()).Error is { } error) r.AddError(error);
        });
        return option;
    }

    /// <summary>The parsed value: null for auto.</summary>
    public static int? Parse(ParseResult parseResult, Option<string> option) => RunsInFlight.Parse(parseResult.GetValue(option)).Runs;
}
