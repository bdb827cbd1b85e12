using System.Globalization;
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
            throw new CliException(Usage(e), ExitCodes.Usage);
        }
        catch (ArgumentException e) when (e.ParamName == "head")
        {
            // A warm-start head that does not fit this fit (architecture, L2 normalisation): the trainer names the difference.
            throw new CliException("--warm-start: " + e.Message.Replace(" (Parameter 'head')", ""), ExitCodes.Usage);
        }
    }

    /// <summary>The trainer's setting names and the options that set them (train and sweep share them).</summary>
    private static readonly Dictionary<string, string> OptionOfSetting = new()
    {
        ["Epochs"] = "--epochs", ["BatchSize"] = "--batch-size", ["LearningRate"] = "--lr", ["Dropout"] = "--dropout",
        ["WeightDecay"] = "--weight-decay", ["LabelSmoothing"] = "--label-smoothing", ["HiddenLayers"] = "--hidden",
        ["Folds"] = "--cv", ["L2"] = "--l2", ["Lambda"] = "--l2",
    };

    /// <summary>
    /// A setting refusal as the command line says it: the option, the value given and the valid range, without .NET's
    /// "(Parameter 'Epochs') Actual value was 0." which names a property the user never typed.
    /// </summary>
    public static string Usage(ArgumentOutOfRangeException e)
    {
        var reason = e.Message;
        var parameterAt = reason.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (parameterAt >= 0) reason = reason[..parameterAt];
        if (e.ParamName is not { } setting || !OptionOfSetting.TryGetValue(setting, out var option)) return reason;
        var value = e.ActualValue is null ? "" : $" {Convert.ToString(e.ActualValue, System.Globalization.CultureInfo.InvariantCulture)}";
        return $"{option}{value} is out of range: {reason.Replace(setting, option)}";
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
