using System.CommandLine;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// Turns the trainer's setting refusals into usage errors: a setting out of range (the trainers'
/// ArgumentOutOfRangeException names the setting and a valid range) or a warm-start head that does not fit. Data that
/// cannot be trained on (TrainingDataException) is mapped with the other refusals by <see cref="CommandRunner"/>.
/// </summary>
internal static class TrainingErrors
{
    public static int Translate(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new CliException(e.Message, ExitCodes.Usage);
        }
        catch (ArgumentException e) when (e.ParamName == "head")
        {
            // A warm-start head that does not fit this fit (architecture, L2 normalisation): the trainer names the difference.
            throw new CliException("--warm-start: " + e.Message.Replace(" (Parameter 'head')", ""), ExitCodes.Usage);
        }
    }

    /// <summary>The preprocessing from --standardize / --no-standardize / --l2-normalize (standardising by default).</summary>
    public static PreprocessingKind Preprocessing(ParseResult parseResult, Option<bool> standardize, Option<bool> noStandardize, Option<bool> l2Normalize)
    {
        if (parseResult.GetValue(standardize) && parseResult.GetValue(noStandardize))
            throw new CliException("--standardize and --no-standardize contradict each other; give one.", ExitCodes.Usage);
        bool standardized = !parseResult.GetValue(noStandardize);
        bool normalized = parseResult.GetValue(l2Normalize);
        return (normalized, standardized) switch
        {
            (false, false) => PreprocessingKind.None,
            (false, true) => PreprocessingKind.Standardize,
            (true, false) => PreprocessingKind.L2Normalize,
            (true, true) => PreprocessingKind.L2NormalizeThenStandardize,
        };
    }
}
