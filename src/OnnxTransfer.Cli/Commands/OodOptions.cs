using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Ood;
using OnnxTransfer.Training.Workflow;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>train --ood METHOD --ood-fpr P --ood-eval CACHE</c>: checks the combination up front (before any fitting) and puts
/// it, with the out-of-distribution rows loaded, into the training settings.
/// </summary>
internal static class OodOptions
{
    /// <summary>Refuses a combination that cannot work, before the cache is opened.</summary>
    public static void Check(string method, string headKind, bool fprGiven, bool oodEvalGiven)
    {
        if (method == OodMethod.None && (oodEvalGiven || fprGiven))
            throw new CliException("--ood-fpr and --ood-eval apply to an OOD score; add --ood mahalanobis (or energy, msp).", ExitCodes.Usage);
        if (OodFitter.Refusal(method, headKind) is { } refusal) throw new CliException($"--ood {method}: {refusal}.", ExitCodes.Usage);
    }

    /// <summary>The OOD settings (checked by <see cref="Check"/>), with the --ood-eval rows loaded.</summary>
    public static HeadTrainingSettings Apply(HeadTrainingSettings settings, string method, double fpr, string? oodEval,
        EmbeddingDataset dataset, Func<string, EmbeddingDataset> open)
    {
        if (method == OodMethod.None) return settings;
        settings = settings with { Ood = method, OodFalsePositiveRate = fpr };
        if (oodEval is null) return settings;
        var ood = open(oodEval);
        if (ood.Dimension != dataset.Dimension)
            throw new CliException($"--ood-eval '{oodEval}' holds {ood.Dimension}-d embeddings but --cache holds {dataset.Dimension}-d: extract it with the same backbone.");
        if (ood.Fingerprint is { } oodPrint && dataset.Fingerprint is { } print && oodPrint.Sha256 != print.Sha256)
            throw new CliException($"--ood-eval '{oodEval}' was extracted with another backbone (fingerprint {oodPrint.Short} vs {print.Short}); extract it with the --cache's backbone.");
        return settings with { OodEvaluation = ood.Load(), OodEvaluationSource = $"'{oodEval}'" };
    }
}
