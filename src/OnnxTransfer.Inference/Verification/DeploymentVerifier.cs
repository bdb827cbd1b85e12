using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Inference.Prediction;

namespace OnnxTransfer.Inference.Verification;

/// <summary>
/// Does this deployment reproduce the cache? Re-embeds a stratified sample of the cached inputs here (this machine,
/// provider, precision, runtime, model file and preprocessing) and compares: embeddings by cosine and largest element
/// difference; with a head, top-1 labels and probabilities against the head applied to the cached embeddings. A
/// fingerprint or numerics difference is not refused: measuring its effect is the point; it is noted. Inputs that no
/// longer exist or fail to decode are reported and skipped.
/// </summary>
public static class DeploymentVerifier
{
    /// <summary>Verifies an image backbone (and optionally a head on it) against <paramref name="cache"/>.</summary>
    /// <exception cref="InferenceException">The backbone's embeddings cannot be compared with the cache's (another dimension, or a text backbone).</exception>
    /// <exception cref="HeadMismatchException">The head takes features of another dimension.</exception>
    public static VerificationReport Verify(EmbeddingCache cache, ImageBackbone backbone, HeadModel? head, VerificationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(backbone);
        options ??= new VerificationOptions();
        options.Validate();
        if (backbone.Dimension != cache.Dimension)
            throw new InferenceException($"The backbone '{backbone.Spec.Name}' gives {backbone.Dimension}-d embeddings but the cache '{cache.Directory}' holds " +
                                         $"{cache.Dimension}-d ones: they come from another model or feature tensor. Verify with the spec the cache was extracted with.");
        var notes = new List<string>();
        NoteFingerprint(notes, cache.Fingerprint, backbone.Fingerprint, $"backbone '{backbone.Spec.Name}'");
        if (!cache.Manifest.Holds(backbone.Numerics))
            notes.Add($"numerics differ: the cache was computed with {Describe(cache.Manifest.Numerics)}, this run computes with {backbone.Numerics.Describe()}");
        var (rows, sample, cached) = Sample(cache, options);

        var batchSize = backbone.FixedBatchSize ?? Math.Min(options.BatchSize, Math.Max(1, sample.Count));
        using var batch = backbone.CreateBatch(batchSize);
        var fresh = new float[sample.Count * backbone.Dimension];
        var compared = new List<CachedRow>(sample.Count);
        var failures = new List<VerificationFailure>();
        var inBatch = 0;
        void Flush()
        {
            if (inBatch == 0) return;
            backbone.Embed(batch, inBatch, fresh.AsSpan((compared.Count - inBatch) * backbone.Dimension, inBatch * backbone.Dimension), cancellationToken);
            inBatch = 0;
        }
        foreach (var row in sample)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Prepare(backbone, row, batch.ImageSlot(inBatch)) is { } failure)
            {
                failures.Add(failure);
                continue;
            }
            compared.Add(row);
            if (++inBatch == batch.Capacity) Flush();
        }
        Flush();

        var dimension = backbone.Dimension;
        var index = cached.IndexById();
        var cachedRows = new float[compared.Count * dimension];
        for (var i = 0; i < compared.Count; i++) cached.Row(index[compared[i].Id]).CopyTo(cachedRows.AsSpan(i * dimension, dimension));
        var cosines = new double[compared.Count];
        var maxAbs = new double[compared.Count];
        for (var i = 0; i < compared.Count; i++)
            (cosines[i], maxAbs[i]) = Compare(fresh.AsSpan(i * dimension, dimension), cachedRows.AsSpan(i * dimension, dimension));

        float[]? freshProbabilities = null, cachedProbabilities = null;
        if (head is not null && compared.Count > 0)
        {
            using var chained = OpenHead(cache, head, notes);
            cachedProbabilities = RunHead(chained, cachedRows, compared.Count, dimension, head.ClassCount, options.BatchSize, cancellationToken);
            freshProbabilities = RunHead(chained, fresh.AsSpan(0, compared.Count * dimension).ToArray(), compared.Count, dimension, head.ClassCount, options.BatchSize, cancellationToken);
        }
        return Report(cache, $"backbone '{backbone.Spec.Name}'", backbone.Numerics, backbone.ActiveProviders, rows, options, compared, failures,
            cosines, maxAbs, head, cachedProbabilities, freshProbabilities, notes);
    }

    /// <summary>
    /// Verifies a predictor — normally a fused model — against the head applied to <paramref name="cache"/>'s
    /// embeddings: top-1 agreement and probability differences (a fused model gives no embeddings to compare).
    /// </summary>
    /// <param name="head">The head the fused model was composed from (its sha256 must match the model's record of it).</param>
    /// <exception cref="InferenceException">The head is not the fused model's, or the predictor classifies texts.</exception>
    public static VerificationReport Verify(EmbeddingCache cache, Predictor predictor, HeadModel head, VerificationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(head);
        options ??= new VerificationOptions();
        options.Validate();
        if (predictor.IsText)
            throw new InferenceException("verify re-embeds image inputs; text models are not supported yet. Verify the image caches of image models.");
        var notes = new List<string>();
        if (predictor.Engine is FusedEngine fused)
        {
            if (fused.Info.HeadSha256 is { } composed && !string.Equals(composed, head.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new InferenceException($"The head '{head.Source}' (sha256 {head.Sha256[..12]}…) is not the one the fused model '{fused.Info.Path}' was composed " +
                                             $"from (sha256 {composed[..Math.Min(12, composed.Length)]}…): give --head the head.onnx it was composed from.");
            if (fused.Info.BackboneFingerprintSha256 is { } print && !string.Equals(print, cache.Fingerprint.Sha256, StringComparison.OrdinalIgnoreCase))
                notes.Add($"fingerprints differ: the fused model's backbone fingerprint is {print[..Math.Min(12, print.Length)]}…, the cache's {cache.Fingerprint.Sha256[..12]}…");
        }
        if (predictor.Labels.Count != head.ClassCount || !predictor.Labels.SequenceEqual(head.Labels, StringComparer.Ordinal))
            throw new InferenceException($"The model's labels ({string.Join(", ", predictor.Labels)}) are not the head's ({string.Join(", ", head.Labels)}): give the head the model was composed from.");
        var (rows, sample, cached) = Sample(cache, options);

        var predictions = predictor.PredictFiles(sample.Select(r => r.Source).ToArray(), cancellationToken);
        var compared = new List<CachedRow>(sample.Count);
        var failures = new List<VerificationFailure>();
        var classes = head.ClassCount;
        var fresh = new List<float>(sample.Count * classes);
        for (var i = 0; i < sample.Count; i++)
        {
            var p = predictions[i];
            if (!p.Succeeded)
            {
                failures.Add(new VerificationFailure(sample[i].Id, sample[i].Source, p.ErrorReason!, p.ErrorMessage ?? ""));
                continue;
            }
            compared.Add(sample[i]);
            fresh.AddRange(p.Probabilities!);
        }
        var dimension = cache.Dimension;
        var index = cached.IndexById();
        var cachedRows = new float[compared.Count * dimension];
        for (var i = 0; i < compared.Count; i++) cached.Row(index[compared[i].Id]).CopyTo(cachedRows.AsSpan(i * dimension, dimension));
        float[]? cachedProbabilities = null;
        if (compared.Count > 0)
        {
            using var chained = OpenHead(cache, head, notes);
            cachedProbabilities = RunHead(chained, cachedRows, compared.Count, dimension, classes, options.BatchSize, cancellationToken);
        }
        return Report(cache, predictor.Description, null, predictor.ActiveProviders, rows, options, compared, failures,
            null, null, head, cachedProbabilities, fresh.ToArray(), notes);
    }

    private static (int Rows, IReadOnlyList<CachedRow> Sample, CachedEmbeddings Cached) Sample(EmbeddingCache cache, VerificationOptions options)
    {
        var rows = cache.ReadRows();
        if (rows.Count == 0) throw new InferenceException($"The cache '{cache.Directory}' holds no embeddings yet: extract first, then verify.");
        var sample = StratifiedSample.Pick(rows, options.SampleSize, options.Seed);
        var cached = cache.ReadEmbeddings(sample.Select(r => r.Id).ToHashSet(StringComparer.Ordinal));
        return (rows.Count, sample, cached);
    }

    private static VerificationFailure? Prepare(ImageBackbone backbone, CachedRow row, Span<float> destination)
    {
        try
        {
            backbone.Prepare(row.Source, destination);
            return null;
        }
        catch (ImageDecodeException e) { return new VerificationFailure(row.Id, row.Source, e.ReasonCode, e.Message); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new VerificationFailure(row.Id, row.Source, "io-error", $"{row.Source}: {e.Message}"); }
        catch (Exception e) when (e is VipsException or ArgumentException or InvalidOperationException)
        {
            return new VerificationFailure(row.Id, row.Source, "decode-failed", $"{row.Source}: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// The head for the cache's side (and, with a backbone, the fresh side too): on CPU in fp32 whatever the backbone's
    /// device, so the figures measure the embeddings' differences and nothing else. Checked for dimension; another
    /// training fingerprint is noted, not refused.
    /// </summary>
    private static ChainedHead OpenHead(EmbeddingCache cache, HeadModel head, List<string> notes)
    {
        if (head.CacheNumerics.Count > 0 && !head.CacheNumerics.All(n => cache.Manifest.Holds(n)))
            notes.Add($"the head was trained on embeddings computed with {Describe(head.CacheNumerics)}, the cache holds {Describe(cache.Manifest.Numerics)}");
        return ChainedHead.Open(cache.Fingerprint, cache.Dimension, head,
            new PredictorOptions { AllowFingerprintMismatch = true, WarningSink = message => notes.Add(message.Split(Environment.NewLine)[0]) });
    }

    private static float[] RunHead(ChainedHead head, float[] embeddings, int count, int dimension, int classes, int batchSize, CancellationToken cancellationToken)
    {
        var capacity = Math.Min(batchSize, count);
        var probabilities = new float[capacity * classes];
        using var buffers = head.CreateBuffers(capacity, probabilities, new float[capacity]);
        var result = new float[count * classes];
        for (var start = 0; start < count; start += capacity)
        {
            var rows = Math.Min(capacity, count - start);
            embeddings.AsSpan(start * dimension, rows * dimension).CopyTo(buffers.Embeddings);
            head.Run(buffers, rows, cancellationToken);
            probabilities.AsSpan(0, rows * classes).CopyTo(result.AsSpan(start * classes));
        }
        return result;
    }

    /// <summary>Cosine similarity (in double) and the largest element difference of two embeddings.</summary>
    internal static (double Cosine, double MaxAbsDifference) Compare(ReadOnlySpan<float> fresh, ReadOnlySpan<float> cached)
    {
        double dot = 0, a = 0, b = 0, max = 0;
        for (var i = 0; i < fresh.Length; i++)
        {
            double x = fresh[i], y = cached[i];
            dot += x * y;
            a += x * x;
            b += y * y;
            max = Math.Max(max, Math.Abs(x - y));
        }
        // Two zero vectors are the same embedding; one zero vector agrees with nothing.
        var cosine = a == 0 && b == 0 ? 1.0 : a == 0 || b == 0 ? 0.0 : dot / Math.Sqrt(a * b);
        return (cosine, max);
    }

    private static VerificationReport Report(EmbeddingCache cache, string target, EmbeddingNumerics? numerics, IReadOnlyList<string> providers, int rows,
        VerificationOptions options, List<CachedRow> compared, List<VerificationFailure> failures, double[]? cosines, double[]? maxAbs, HeadModel? head,
        float[]? cachedProbabilities, float[]? freshProbabilities, List<string> notes)
    {
        var classes = head?.ClassCount ?? 0;
        var inputs = new VerifiedInput[compared.Count];
        var disagreements = 0;
        var maxProbability = 0.0;
        for (var i = 0; i < compared.Count; i++)
        {
            int? cachedTop = null, freshTop = null;
            double? probabilityDifference = null;
            if (cachedProbabilities is not null && freshProbabilities is not null)
            {
                var c = cachedProbabilities.AsSpan(i * classes, classes);
                var f = freshProbabilities.AsSpan(i * classes, classes);
                cachedTop = ArgMax(c);
                freshTop = ArgMax(f);
                var difference = 0.0;
                for (var k = 0; k < classes; k++) difference = Math.Max(difference, Math.Abs((double)c[k] - f[k]));
                probabilityDifference = difference;
                maxProbability = Math.Max(maxProbability, difference);
                if (cachedTop != freshTop) disagreements++;
            }
            var row = compared[i];
            inputs[i] = new VerifiedInput(row.Id, row.Source, row.Label, row.Split, cosines?[i], maxAbs?[i], cachedTop, freshTop, probabilityDifference);
        }
        EmbeddingAgreement? embeddings = cosines is { Length: > 0 }
            ? new EmbeddingAgreement(cosines.Min(), Median(cosines), maxAbs!.Max())
            : null;
        HeadAgreement? headAgreement = head is not null && compared.Count > 0
            ? new HeadAgreement(1.0 - (double)disagreements / compared.Count, disagreements, maxProbability)
            : null;
        return new VerificationReport
        {
            Cache = cache.Directory,
            Target = target,
            CacheNumerics = cache.Manifest.Numerics,
            RunNumerics = numerics,
            Providers = providers,
            CacheRows = rows,
            Options = options,
            Inputs = inputs,
            Failures = failures,
            Embeddings = embeddings,
            Head = headAgreement,
            Notes = notes.Distinct(StringComparer.Ordinal).ToArray(),
        };
    }

    private static void NoteFingerprint(List<string> notes, BackboneFingerprint cached, BackboneFingerprint run, string what)
    {
        if (cached.Equals(run)) return;
        var differences = cached.Differences(run).Select(d => $"{d.Field}: cache {d.Expected ?? "(absent)"}, {what} {d.Actual ?? "(absent)"}");
        notes.Add($"fingerprints differ ({string.Join("; ", differences)})");
    }

    private static string Describe(IReadOnlyList<EmbeddingNumerics> numerics) => string.Join(" and ", numerics.Select(n => n.Describe()));

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
