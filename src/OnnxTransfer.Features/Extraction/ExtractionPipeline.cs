using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Fingerprints;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Features.Views;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// Runs a backbone over inputs into an embedding cache through <see cref="Pipeline.BatchPipeline{TBuffer}"/>: decoding
/// (or tokenising) on several threads straight into reused buffers, inference on the calling thread into preallocated
/// outputs, Parquet writing on its own thread — the three overlap. Rows are written in id order whatever thread finishes first, so the same inputs give the same parts;
/// inputs already in the cache are skipped, so a rerun continues an interrupted one; a bad input becomes an error row
/// and the run goes on. Every backbone runs through one <see cref="ExtractionRun"/>: image batches are consecutive
/// inputs, text batches windows of consecutive inputs the text backbone cuts into length-bucketed runs.
/// </summary>
public sealed class ExtractionPipeline
{
    private readonly Backbone _backbone;
    private readonly ExtractionOptions _options;

    /// <summary>A pipeline for a backbone; a text backbone's inputs come from <see cref="TextInputFiles.Open"/>.</summary>
    public ExtractionPipeline(Backbone backbone, ExtractionOptions? options = null)
    {
        _backbone = backbone ?? throw new ArgumentNullException(nameof(backbone));
        _options = options ?? new ExtractionOptions();
        _options.Validate();
    }

    private BackboneFingerprint Fingerprint => _backbone.Fingerprint;

    private EmbeddingNumerics Numerics => _backbone.Numerics;

    /// <summary>The manifest a new cache for this backbone gets.</summary>
    public static CacheManifest ManifestFor(Backbone backbone) => ManifestFor(backbone, []);

    /// <summary>
    /// The manifest a cache of this backbone with <paramref name="views"/> of every input gets (<c>extract --views</c>):
    /// the original view always, then the others in id order; no views: a cache without them.
    /// </summary>
    /// <exception cref="ArgumentException">Views of a text backbone (views are transforms of an image tensor).</exception>
    public static CacheManifest ManifestFor(Backbone backbone, IReadOnlyList<InputView> views) => new()
    {
        Views = ViewsOf(backbone, views),
        Numerics = [backbone.Numerics],
        Fingerprint = backbone.Fingerprint,
        BackboneName = backbone.Spec.Name,
        FeatureTensor = backbone.FeatureTensor,
        ModelPath = backbone.ModelPath,
        CreatedBy = CacheManifest.ToolVersion,
        PartChecksums = true,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private static CacheView[]? ViewsOf(Backbone backbone, IReadOnlyList<InputView> views)
    {
        ArgumentNullException.ThrowIfNull(views);
        if (views.Count == 0) return null;
        if (backbone.Spec.Kind == BackboneKind.Text)
            throw new ArgumentException($"Backbone '{backbone.Spec.Name}' embeds texts; views ({string.Join(", ", views.Select(v => v.Name))}) are transforms of an image tensor.", nameof(views));
        return [.. views.Append(InputView.Original).DistinctBy(v => v.Id).OrderBy(v => v.Id).Select(v => v.ToCacheView())];
    }

    /// <summary>
    /// Extracts every input of <paramref name="inputs"/> that <paramref name="cache"/> does not hold yet (with views:
    /// every view of the cache's <see cref="CacheManifest.Views"/> that an input lacks).
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
        var readsTexts = _backbone.Spec.Kind == BackboneKind.Text;
        if (readsTexts && inputs.Layout != FolderLayout.TextFile)
            throw new ArgumentException($"A text backbone embeds texts: read them with TextInputFiles.Open, not '{inputs.Source}' as {inputs.Layout}.", nameof(inputs));
        if (!readsTexts && inputs.Layout == FolderLayout.TextFile)
            throw new ArgumentException($"An image backbone embeds images, but '{inputs.Source}' holds texts: use a text backbone.", nameof(inputs));

        var clock = Stopwatch.StartNew();
        var retried = 0;
        if (_options.RetryErrors)
        {
            var wanted = new HashSet<string>(inputs.Items.Select(i => i.Id), StringComparer.Ordinal);
            retried = cache.RemoveErrorRows(wanted);
        }
        var views = ViewsToCompute(cache, readsTexts);
        var done = views is null ? cache.ReadCompletedIds() : null;
        var viewsDone = views is null ? null : cache.ReadCompletedViews();
        var pending = new List<InputItem>(inputs.Count);
        var missing = new List<IReadOnlyList<InputView>>(); // with views: by pending input, the views it lacks
        var scheduled = new bool[inputs.Count]; // by input index: to be computed in this run
        var shardInputs = 0; // the inputs of this run's shard (all of them unsharded)
        for (var i = 0; i < inputs.Count; i++)
        {
            if (!cache.Shard.Contains(inputs.Items[i].Id)) continue;
            shardInputs++;
            if (done?.Contains(inputs.Items[i].Id) == true) continue;
            if (views is not null)
            {
                var held = viewsDone!.GetValueOrDefault(inputs.Items[i].Id);
                var lacking = views.Where(v => (held & (1 << v.Id)) == 0).ToArray();
                if (lacking.Length == 0) continue;
                missing.Add(lacking);
            }
            pending.Add(inputs.Items[i]);
            scheduled[i] = true;
        }
        var alreadyCached = shardInputs - pending.Count;
        var deferred = 0;
        if (_options.Limit is { } limit && pending.Count > limit)
        {
            deferred = pending.Count - limit;
            pending.RemoveRange(limit, deferred);
            if (views is not null) missing.RemoveRange(limit, deferred);
            var keep = limit;
            for (var i = 0; i < scheduled.Length; i++)
                if (scheduled[i] && keep-- <= 0) scheduled[i] = false;
        }

        var run = new ExtractionRun(_backbone, _options, cache, inputs.Items, scheduled, pending, progress, clock,
            views is null ? null : new ViewSlots(missing));
        // Honest state: until this run ends with every input of its shard done, the cache says it is incomplete.
        CacheCompletion.MarkStarted(cache, shardInputs, alreadyCached);
        run.Execute(cancellationToken);
        // Over the error budget the error rows stay (a rerun with RetryErrors redoes them), but nothing claims success.
        var tooManyErrors = _options.MaxErrors is { } maxErrors ? run.Failed > maxErrors : run.Failed > 0 && run.Embedded == 0;
        if (deferred == 0 && !tooManyErrors) CacheCompletion.MarkComplete(cache, shardInputs, alreadyCached + run.Embedded + run.Failed);
        return new ExtractionSummary
        {
            Inputs = shardInputs,
            AlreadyCached = alreadyCached,
            Deferred = deferred,
            Retried = retried,
            Embedded = run.Embedded,
            EmbeddedRows = run.EmbeddedRows,
            Views = cache.Manifest.Views?.Select(v => v.Name).ToArray() ?? [],
            Failed = run.Failed,
            TooManyErrors = tooManyErrors,
            Truncated = run.Truncated,
            ZeroEmbeddings = run.ZeroEmbeddings,
            ErrorsByReason = run.ErrorsByReason,
            Elapsed = clock.Elapsed,
            WarmUpTime = run.WarmUpTime,
            DecodeTime = run.Times.Prepare,
            InferenceTime = run.Times.Run,
            InferenceWaitTime = run.Times.Wait,
            WriteTime = run.Times.Write,
            PartsWritten = run.PartsWritten,
            ErrorPartsWritten = run.ErrorPartsWritten,
            BatchSize = run.BatchSize,
            RunsInFlight = run.RunsInFlight,
            DecodeThreads = _options.EffectiveDecodeThreads,
            Providers = _backbone.ActiveProviders,
            Numerics = Numerics,
            CacheDirectory = cache.Directory,
            FingerprintSha256 = cache.Fingerprint.Sha256,
        };
    }

    /// <summary>The views every input of <paramref name="cache"/> must have, as this version computes them; null for a cache without views.</summary>
    private InputView[]? ViewsToCompute(EmbeddingCache cache, bool readsTexts)
    {
        if (cache.Manifest.Views is not { } views) return null;
        if (readsTexts)
            throw new CacheException($"The cache '{cache.Directory}' holds views ({CacheView.Describe(views)}), which are transforms of an image tensor; " +
                                     "a text backbone cannot fill it.");
        CacheViewAdmission.Check(cache.Directory, views);
        return [.. views.Select(v => InputView.FindById(v.Id)!)];
    }
}
