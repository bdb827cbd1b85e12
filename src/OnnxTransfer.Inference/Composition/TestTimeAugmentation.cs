using OnnxTransfer.Features.Views;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Inference.Composition;

/// <summary>
/// Test-time augmentation: the input views whose class probabilities are averaged — always the original first, then the
/// named transforms of the preprocessed tensor (<see cref="InputView"/>, the definition <c>extract --views</c> caches).
/// A fused model does it in its graph (<c>compose --tta</c>, recorded in its metadata); a chained predictor does it in
/// code (<see cref="Prediction.PredictorOptions.TestTimeAugmentation"/>); both give the same probabilities.
/// </summary>
public sealed class TestTimeAugmentation
{
    private TestTimeAugmentation(IReadOnlyList<InputView> views) => Views = views;

    /// <summary>The original input only (no augmentation).</summary>
    public static TestTimeAugmentation None { get; } = new([InputView.Original]);

    /// <summary>The original and its mirror along the width axis.</summary>
    public static TestTimeAugmentation HorizontalFlip { get; } = new([InputView.Original, InputView.HorizontalFlip]);

    /// <summary>The views averaged, in id order, the original first.</summary>
    public IReadOnlyList<InputView> Views { get; }

    /// <summary>True when more than the original is seen.</summary>
    public bool IsActive => Views.Count > 1;

    /// <summary>The views' names, comma-separated (<c>original,hflip</c>): the <see cref="MetadataKeys.TestTimeViews"/> value.</summary>
    public string Names => string.Join(",", Views.Select(view => view.Name));

    /// <summary>The <c>--tta</c> value that asks for these views: the transforms (<c>hflip</c>), or <c>none</c>.</summary>
    public string OptionValue => IsActive ? string.Join(",", Views.Skip(1).Select(view => view.Name)) : "none";

    /// <summary>The transforms a user can name (every known view but the original, which is always included).</summary>
    public static string KnownNames => string.Join(", ", InputView.Known.Where(view => view.Id != InputView.Original.Id).Select(view => view.Name));

    /// <summary>
    /// The views of a comma-separated list such as <c>hflip</c> (the original is added; naming it too is allowed);
    /// null, empty or <c>none</c> is <see cref="None"/>.
    /// </summary>
    /// <exception cref="FormatException">A name that is not a known view (the message lists the known ones).</exception>
    public static TestTimeAugmentation Parse(string? names)
    {
        if (string.IsNullOrWhiteSpace(names) || names.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) return None;
        var views = new SortedDictionary<int, InputView> { [InputView.Original.Id] = InputView.Original };
        foreach (var name in names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var view = InputView.Find(name)
                       ?? throw new FormatException($"Unknown view '{name}' for test-time augmentation: the known views are {KnownNames} (the original is always included).");
            views[view.Id] = view;
        }
        return views.Count == 1 ? None : new TestTimeAugmentation([.. views.Values]);
    }

    /// <summary>
    /// What a fused model's metadata says (<see cref="MetadataKeys.TestTimeViews"/>, <see cref="MetadataKeys.TestTimeCombine"/>):
    /// <see cref="None"/> when the keys are absent.
    /// </summary>
    /// <exception cref="InferenceException">Views or a combination this version does not know (a newer composer wrote it).</exception>
    public static TestTimeAugmentation FromMetadata(string? views, string? combine, string path)
    {
        if (views is null) return None;
        if (combine != ModelLayout.MeanOfViewProbabilities)
            throw new InferenceException($"The fused model '{path}' combines its views as \"{combine}\", which this version does not know: update OnnxTransfer or compose the model again.");
        try
        {
            var parsed = Parse(views);
            if (parsed.Names != views) throw new FormatException($"the views are not listed as this version writes them ({parsed.Names})");
            return parsed;
        }
        catch (FormatException e)
        {
            throw new InferenceException($"The fused model '{path}' averages views \"{views}\" this version cannot read ({e.Message}): update OnnxTransfer or compose the model again.", e);
        }
    }

    public override string ToString() => IsActive ? $"test-time views {Names} (mean of probabilities)" : "original view only";
}
