using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Fingerprints;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Numerics;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// Runs a backbone over inputs into an embedding cache through <see cref="Pipeline.BatchPipeline{TBuffer}"/>: decoding
/// (or tokenising) on several threads straight into reused buffers, inference on the calling thread into preallocated
/// outputs, Parquet writing on its own thread — the three overlap. Rows are written in id order whatever thread finishes first, so the same inputs give the same parts;
/// inputs already in the cache are skipped, so a rerun continues an interrupted one; a bad input becomes an error row
/// and the run goes on. Image backbones run batches of consecutive inputs; text backbones run windows of consecutive
/// inputs cut into length-bucketed batches (<see cref="TextExtractionRun"/>).
/// </summary>
public sealed class ExtractionPipeline
{
    private readonly ImageBackbone? _image;
    private readonly TextBackbone? _text;
    private readonly ExtractionOptions _options;

    public ExtractionPipeline(ImageBackbone backbone, ExtractionOptions? options = null)
    {
        _image = backbone ?? throw new ArgumentNullException(nameof(backbone));
        _options = options ?? new ExtractionOptions();
        _options.Validate();
    }

    /// <summary>A pipeline for a text encoder; its inputs come from <see cref="TextInputFiles.Open"/>.</summary>
    public ExtractionPipeline(TextBackbone backbone, ExtractionOptions? options = null)
    {
        _text = backbone ?? throw new ArgumentNullException(nameof(backbone));
        _options = options ?? new ExtractionOptions();
        _options.Validate();
    }

    private BackboneFingerprint Fingerprint => _image?.Fingerprint ?? _text!.Fingerprint;

    private EmbeddingNumerics Numerics => _image?.Numerics ?? _text!.Numerics;

    /// <summary>The manifest a new cache for this backbone gets.</summary>
    public static CacheManifest ManifestFor(ImageBackbone backbone) =>
        NewManifest(backbone.Fingerprint, backbone.Spec.Name, backbone.FeatureTensor, backbone.ModelPath, backbone.Numerics);

    /// <summary>The manifest a new cache for this text backbone gets.</summary>
    public static CacheManifest ManifestFor(TextBackbone backbone) =>
        NewManifest(backbone.Fingerprint, backbone.Spec.Name, backbone.FeatureTensor, backbone.ModelPath, backbone.Numerics);

    private static CacheManifest NewManifest(BackboneFingerprint fingerprint, string name, string featureTensor, string modelPath, EmbeddingNumerics numerics) => new()
    {
        Numerics = [numerics],
        Fingerprint = fingerprint,
        BackboneName = name,
        FeatureTensor = featureTensor,
        ModelPath = modelPath,
        CreatedBy = CacheManifest.ToolVersion,
        PartChecksums = true,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>
    /// Extracts every input of <paramref name="inputs"/> that <paramref name="cache"/> does not hold yet.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled; every part completed before stays valid, a rerun continues.</exception>
    public ExtractionSummary Run(InputSet inputs, EmbeddingCache cache, IProgress<ExtractionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(cache);
        if (!cache.IsWritable) throw new ArgumentException("Open the cache with EmbeddingCache.OpenForWriting.", nameof(cache));
        if (!cache.Fingerprint.Equals(Fingerprint))
            throw new CacheFingerprintMismatchException(cache.Directory, cache.Fingerprint, Fingerprint);
        if (!cache.Manifest.Holds(Numerics))
            throw new CacheNumericsMismatchException(cache.Directory, cache.Manifest.Numerics, Numerics);
        if (_text is not null && inputs.Layout != FolderLayout.TextFile)
            throw new ArgumentException($"A text backbone embeds texts: read them with TextInputFiles.Open, not '{inputs.Source}' as {inputs.Layout}.", nameof(inputs));
        if (_image is not null && inputs.Layout == FolderLayout.TextFile)
            throw new ArgumentException($"An image backbone embeds images, but '{inputs.Source}' holds texts: use a text backbone.", nameof(inputs));

        var clock = Stopwatch.StartNew();
        var retried = 0;
        if (_options.RetryErrors)
        {
            var wanted = new HashSet<string>(inputs.Items.Select(i => i.Id), StringComparer.Ordinal);
            retried = cache.RemoveErrorRows(wanted);
        }
        var done = cache.ReadCompletedIds();
        var pending = new List<InputItem>(inputs.Count);
        var scheduled = new bool[inputs.Count]; // by input index: to be computed in this run
        var shardInputs = 0; // the inputs of this run's shard (all of them unsharded)
        for (var i = 0; i < inputs.Count; i++)
        {
            if (!cache.Shard.Contains(inputs.Items[i].Id)) continue;
            shardInputs++;
            if (done.Contains(inputs.Items[i].Id)) continue;
            pending.Add(inputs.Items[i]);
            scheduled[i] = true;
        }
        var alreadyCached = shardInputs - pending.Count;
        var deferred = 0;
        if (_options.Limit is { } limit && pending.Count > limit)
        {
            deferred = pending.Count - limit;
            pending.RemoveRange(limit, deferred);
            var keep = limit;
            for (var i = 0; i < scheduled.Length; i++)
                if (scheduled[i] && keep-- <= 0) scheduled[i] = false;
        }

        ExtractionRun run = _text is not null
            ? new TextExtractionRun(_text, _options, cache, inputs.Items, scheduled, pending.Count, progress, clock)
            : new ImageExtractionRun(_image!, _options, cache, pending, progress, clock);
        // Honest state: until this run ends with every input of its shard done, the cache says it is incomplete.
        CacheCompletion.MarkStarted(cache, shardInputs, alreadyCached);
        run.Execute(cancellationToken);
        if (deferred == 0) CacheCompletion.MarkComplete(cache, shardInputs, alreadyCached + run.Embedded + run.Failed);
        return new ExtractionSummary
        {
            Inputs = shardInputs,
            AlreadyCached = alreadyCached,
            Deferred = deferred,
            Retried = retried,
            Embedded = run.Embedded,
            Failed = run.Failed,
            Truncated = run.Truncated,
            ErrorsByReason = run.ErrorsByReason,
            Elapsed = clock.Elapsed,
            DecodeTime = run.Times.Prepare,
            InferenceTime = run.Times.Run,
            InferenceWaitTime = run.Times.Wait,
            WriteTime = run.Times.Write,
            PartsWritten = run.PartsWritten,
            ErrorPartsWritten = run.ErrorPartsWritten,
            BatchSize = run.BatchSize,
            DecodeThreads = _options.EffectiveDecodeThreads,
            Providers = _image?.ActiveProviders ?? _text!.ActiveProviders,
            Numerics = Numerics,
            CacheDirectory = cache.Directory,
            FingerprintSha256 = cache.Fingerprint.Sha256,
        };
    }
}
