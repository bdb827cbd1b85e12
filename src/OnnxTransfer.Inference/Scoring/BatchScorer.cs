using System.Diagnostics;
using System.Text;
using System.Text.Json;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Output;
using OnnxTransfer.Formats;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Inference.Scoring;

/// <summary>
/// Scores a folder or manifest of images (or a file of texts, with a text model) into a scores folder (docs/formats.md, "Scores"), scheduler-friendly: the
/// shard's inputs (in id order) are cut into fixed parts, each written atomically; a rerun keeps the parts that exist
/// and redoes the rest, so a run killed at any point and rerun ends with exactly the files of an uninterrupted run;
/// the success marker comes last. Decoding runs on several threads straight into reused batch tensors while the
/// model runs on the calling thread (on CUDA by default on two threads: two batches in flight) and parts are written on another (<see cref="ScoringRun"/>); a bad input becomes
/// an error row and the run goes on.
/// </summary>
public sealed class BatchScorer
{
    private readonly Predictor _predictor;
    private readonly ScoringOptions _options;

    public BatchScorer(Predictor predictor, ScoringOptions? options = null)
    {
        _predictor = predictor ?? throw new ArgumentNullException(nameof(predictor));
        _options = options ?? new ScoringOptions();
        _options.Validate();
    }

    /// <summary>
    /// Scores this shard's inputs of <paramref name="inputs"/> into <paramref name="outputDirectory"/>.
    /// <paramref name="stopAfterPart"/> (e.g. SIGTERM) ends the run cleanly after the part in progress is committed;
    /// <paramref name="abort"/> stops at once (what is committed stays valid either way).
    /// </summary>
    /// <exception cref="ScoreOutputException">The folder holds parts of another run (model, inputs, shard count, format).</exception>
    public ScoringSummary Run(InputSet inputs, string outputDirectory, IProgress<ScoringProgress>? progress = null,
        CancellationToken stopAfterPart = default, CancellationToken abort = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        var clock = Stopwatch.StartNew();
        var shard = _options.Shard;
        var items = new List<InputItem>();
        foreach (var item in inputs.Items)
            if (shard.Contains(item.Id)) items.Add(item);
        var labels = _predictor.Labels;
        var k = Math.Min(_options.TopK, labels.Count);

        var output = Path.GetFullPath(outputDirectory);
        if (File.Exists(output)) throw new ScoreOutputException($"--out '{output}' is a file; name a folder (it is created if missing).");
        Directory.CreateDirectory(output);
        var manifest = ScoreRunManifest.For(_predictor.ModelIdentity, labels, items.Select(i => i.Id).ToArray(), _options.Shard, _options.RowsPerPart, k, _options.Format);
        // The layout check and the manifest's creation happen under the folder's layout lock: of runs started together
        // on one folder, exactly one layout wins and the others are refused before they write anything.
        using var locks = OutputFolderLocks.Acquire(output, shard, new OutputWriter("score", "scoring run", "--out", message => new ScoreOutputException(message)), () =>
        {
            RefuseOtherLayouts(output, shard);
            WriteOrCheckManifest(output, manifest);
            RemoveTemporaryFiles(output, shard);
        });

        var rowsPerPart = _options.RowsPerPart;
        var partCount = (items.Count + rowsPerPart - 1) / rowsPerPart;
        var errorsByReason = new SortedDictionary<string, int>(StringComparer.Ordinal);
        long errors = 0;
        var pending = new List<ScorePart>();
        var kept = 0;
        for (var p = 0; p < partCount; p++)
        {
            var path = Path.Combine(output, ScoreLayout.PartName(p, shard, _options.Format));
            var start = p * rowsPerPart;
            var count = Math.Min(rowsPerPart, items.Count - start);
            if (File.Exists(path))
            {
                if (ScoreVerification.Check(path) is { } damaged) throw new ScoreOutputException(damaged);
                var (rows, partErrors, byReason) = ScorePartReader.Count(path, _options.Format);
                if (rows != count)
                    throw new ScoreOutputException($"'{path}' holds {rows} rows where this run expects {count}; it was not written by this run. Delete it and rerun.");
                kept++;
                errors += partErrors;
                foreach (var (reason, n) in byReason) errorsByReason[reason] = errorsByReason.GetValueOrDefault(reason) + n;
                continue;
            }
            pending.Add(new ScorePart(p, items.GetRange(start, count), k, _predictor.Ood));
        }

        var run = new ScoringRun(_predictor, _options, pending, labels, output, shard, progress, clock, kept, partCount, items.Count);
        run.Execute(stopAfterPart, abort);
        errors += run.Errors;
        foreach (var (reason, n) in run.ErrorsByReason) errorsByReason[reason] = errorsByReason.GetValueOrDefault(reason) + n;

        var allowed = _options.MaxErrors.AllowedFor(items.Count);
        var complete = !run.Interrupted && kept + run.PartsWritten == partCount;
        var succeeded = false;
        var successPath = Path.Combine(output, ScoreLayout.SuccessName(shard));
        if (complete && !(allowed is { } a && errors > a))
        {
            WriteAtomically(successPath, SuccessJson(shard, inputs.Count, items.Count, partCount, errors, errorsByReason));
            succeeded = true;
        }
        else if (complete)
        {
            File.Delete(successPath); // an old marker must not vouch for a run that failed its error budget
        }

        return new ScoringSummary
        {
            OutputDirectory = output,
            Shard = shard,
            TotalInputs = inputs.Count,
            ShardInputs = items.Count,
            Parts = partCount,
            PartsAlreadyDone = kept,
            PartsWritten = run.PartsWritten,
            RowsThisRun = run.Rows,
            Errors = errors,
            ErrorsByReason = errorsByReason,
            ErrorsAllowed = allowed,
            Interrupted = run.Interrupted,
            Succeeded = succeeded,
            Elapsed = clock.Elapsed,
            WarmUpTime = run.WarmUpTime,
            RunsInFlight = run.RunsInFlight,
        };
    }

    /// <summary>One folder holds one layout: the unsharded run, or the N shards of one shard count.</summary>
    private static void RefuseOtherLayouts(string output, ShardSpec shard)
    {
        var own = shard.IsAll ? "" : shard.FileTag;
        var ownSuffix = shard.IsAll ? null : $"-of-{shard.Count}";
        foreach (var file in Directory.EnumerateFiles(output))
        {
            var name = Path.GetFileName(file);
            if (ScoreLayout.TagOf(name) is not { } tag || tag == own) continue;
            if (ownSuffix is not null && tag.StartsWith("shard-", StringComparison.Ordinal) && tag.EndsWith(ownSuffix, StringComparison.Ordinal)) continue;
            var theirs = tag.Length == 0 ? "an unsharded run" : $"shards of another count ({tag})";
            throw new ScoreOutputException(
                $"'{output}' already holds output of {theirs} ('{name}'); this run is {(shard.IsAll ? "unsharded" : $"shard {shard}")}. " +
                "Mixing them would duplicate or miss rows: score into another --out, or delete the folder first.");
        }
    }

    private static void WriteOrCheckManifest(string output, ScoreRunManifest manifest)
    {
        var path = Path.Combine(output, ScoreLayout.ManifestName(manifest.Shard));
        var json = manifest.ToJson();
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path, Encoding.UTF8);
            var differences = ScoreRunManifest.Differences(existing, json);
            if (differences.Count == 0) return;
            throw new ScoreOutputException(
                $"'{output}' holds parts of another scoring run ({Path.GetFileName(path)} differs: " +
                string.Join("; ", differences.Select(d => $"{d.Field} was {Abbreviate(d.Old)}, now {Abbreviate(d.New)}")) +
                "). A rerun continues only the same run (same model, inputs, shard and settings): score into a new --out, or delete the folder to start over.");
        }
        WriteAtomically(path, json);
    }

    private static string Abbreviate(string value) => value.Length <= 80 ? value : value[..77] + "...";

    /// <summary>Deletes this shard's leftover temporary files from a killed run (never another shard's, which may be running).</summary>
    private static void RemoveTemporaryFiles(string output, ShardSpec shard)
    {
        var own = shard.IsAll ? "" : shard.FileTag;
        foreach (var file in Directory.EnumerateFiles(output, ".*.tmp"))
        {
            var inner = Path.GetFileName(file)[1..^4];
            var dot = inner.LastIndexOf('.');
            if (dot <= 0) continue;
            var target = inner[..dot];
            if (target.EndsWith(FileChecksum.Suffix, StringComparison.Ordinal)) target = target[..^FileChecksum.Suffix.Length]; // a part's checksum file
            if (ScoreLayout.TagOf(target) == own)
            {
                try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    internal static void WriteAtomically(string path, string text)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (IOException)
        {
            // A full disk (or any write failure) leaves no temporary file behind to keep the disk full.
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static string SuccessJson(ShardSpec shard, int totalInputs, int shardInputs, int parts, long errors, IReadOnlyDictionary<string, int> byReason)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", ScoreLayout.FormatName);
            w.WriteString("shard", shard.ToString());
            w.WriteNumber("inputs_total", totalInputs);
            w.WriteNumber("rows", shardInputs);
            w.WriteNumber("parts", parts);
            w.WriteNumber("errors", errors);
            w.WriteStartObject("errors_by_reason");
            foreach (var (reason, n) in byReason) w.WriteNumber(reason, n);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }
}
