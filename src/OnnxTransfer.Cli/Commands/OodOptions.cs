using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Ood;
using OnnxTransfer.Training.Workflow;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>train --ood METHOD --ood-fpr P --ood-eval CACHE --ood-holdout-class CLASS</c>: checks the combination up front (before any fitting) and puts
/// it, with the out-of-distribution rows loaded, into the training settings.
/// </summary>
internal static class OodOptions
{
    /// <summary>The label every --ood-eval row is given: they are scored, never trained on, so their own labels (if any) do not matter.</summary>
    private const string OutOfDistributionLabel = "(out of distribution)";

    /// <summary>
    /// Every embedded row of the --ood-eval cache, labelled or not: out-of-distribution inputs are usually a folder of
    /// pictures nobody labelled, and the score needs only their embeddings.
    /// </summary>
    private static EmbeddingSet Rows(string path)
    {
        CachedEmbeddings rows;
        using (var cache = EmbeddingCache.Open(path)) rows = cache.ReadEmbeddings();
        if (rows.Count == 0) throw new CliException($"--ood-eval '{path}' holds no embedded rows: extract the out-of-distribution inputs into it first.");
        return EmbeddingSet.Create("ood-eval", rows.Values, rows.Dimension, Enumerable.Repeat(OutOfDistributionLabel, rows.Count).ToArray(), ids: rows.Ids);
    }

    /// <summary>Refuses a combination that cannot work, before the cache is opened.</summary>
    public static void Check(string method, string headKind, bool fprGiven, bool oodEvalGiven)
    {
        if (method == OodMethod.None && (oodEvalGiven || fprGiven))
            throw new CliException("--ood-fpr, --ood-eval and --ood-holdout-class apply to an OOD score; add --ood mahalanobis (or energy, msp).", ExitCodes.Usage);
        if (OodFitter.Refusal(method, headKind) is { } refusal) throw new CliException($"--ood {method}: {refusal}.", ExitCodes.Usage);
    }

    /// <summary>The OOD settings (checked by <see cref="Check"/>), with the --ood-eval rows loaded and the held-out class checked against the cache's labels.</summary>
    public static HeadTrainingSettings Apply(HeadTrainingSettings settings, string method, double fpr, string? oodEval, string? holdoutClass,
        EmbeddingDataset dataset, Func<string, EmbeddingDataset> open)
    {
        if (method == OodMethod.None) return settings;
        settings = settings with { Ood = method, OodFalsePositiveRate = fpr, OodHoldoutClass = holdoutClass };
        if (holdoutClass is not null)
        {
            if (!dataset.Labels.Contains(holdoutClass, StringComparer.Ordinal))
                throw new CliException($"--ood-holdout-class '{holdoutClass}' is not a label of '{dataset.Root}' (labels: {string.Join(", ", dataset.Labels)}).");
            if (method != OodMethod.Mahalanobis && dataset.Labels.Count < 3)
                throw new CliException($"--ood-holdout-class with --ood {method} refits the head without the class, which leaves one class of {dataset.Labels.Count}: " +
                                       "use --ood mahalanobis for this check (a summary of one class works), or a dataset of three classes or more.");
        }
        if (oodEval is null) return settings;
        var ood = open(oodEval);
        if (ood.Dimension != dataset.Dimension)
            throw new CliException($"--ood-eval '{oodEval}' holds {ood.Dimension}-d embeddings but --cache holds {dataset.Dimension}-d: extract it with the same backbone.");
        if (ood.Fingerprint is { } oodPrint && dataset.Fingerprint is { } print && oodPrint.Sha256 != print.Sha256)
            throw new CliException($"--ood-eval '{oodEval}' was extracted with another backbone (fingerprint {oodPrint.Short} vs {print.Short}); extract it with the --cache's backbone.");
        return settings with { OodEvaluation = Rows(oodEval), OodEvaluationSource = $"'{oodEval}'" };
    }
}
