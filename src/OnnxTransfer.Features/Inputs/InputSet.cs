namespace OnnxTransfer.Features.Inputs;

/// <summary>How an input folder is laid out.</summary>
public enum FolderLayout
{
    /// <summary>Images directly in the folder: no label, no split.</summary>
    Flat,
    /// <summary><c>label/file</c> (torchvision's ImageFolder).</summary>
    LabelFolders,
    /// <summary><c>split/label/file</c> (e.g. hymenoptera's train/ants/…).</summary>
    SplitAndLabelFolders,
    /// <summary>Not a folder: a manifest file listed the inputs.</summary>
    Manifest,
    /// <summary>A file of texts (TXT, CSV/TSV, JSONL or Parquet): the items carry their text.</summary>
    TextFile,
}

/// <summary>The inputs of a run, sorted by id (ordinal), ids unique.</summary>
public sealed class InputSet
{
    internal InputSet(string source, FolderLayout layout, IReadOnlyList<InputItem> items, int ignoredFiles)
    {
        Source = source;
        Layout = layout;
        Items = items;
        IgnoredFiles = ignoredFiles;
    }

    /// <summary>The folder or manifest file the inputs came from (absolute).</summary>
    public string Source { get; }

    public FolderLayout Layout { get; }

    public IReadOnlyList<InputItem> Items { get; }

    /// <summary>Files in the folder that were not taken as images (by extension), e.g. README.txt.</summary>
    public int IgnoredFiles { get; }

    public int Count => Items.Count;

    /// <summary>Reads a folder (ImageFolder layout) or a manifest (.csv, .tsv, .jsonl, .parquet).</summary>
    public static InputSet Open(string folderOrManifest)
    {
        ArgumentException.ThrowIfNullOrEmpty(folderOrManifest);
        var full = Path.GetFullPath(folderOrManifest);
        if (Directory.Exists(full)) return ImageFolderScanner.Scan(full);
        if (File.Exists(full)) return ManifestReader.Read(full);
        throw new InputSourceException($"No folder or manifest at '{full}': give a folder of images (split/label/file or label/file) or a .csv/.jsonl/.parquet manifest.");
    }

    /// <summary>Sorts by id and refuses duplicates (an id names one row of the cache; resuming depends on it).</summary>
    internal static InputSet Create(string source, FolderLayout layout, List<InputItem> items, int ignoredFiles)
    {
        items.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        List<string>? duplicates = null;
        for (var i = 1; i < items.Count; i++)
        {
            if (!string.Equals(items[i].Id, items[i - 1].Id, StringComparison.Ordinal)) continue;
            duplicates ??= [];
            if (duplicates.Count == 0 || duplicates[^1] != items[i].Id) duplicates.Add(items[i].Id);
        }
        if (duplicates is not null)
            throw new InputSourceException(
                $"'{source}' lists {duplicates.Count} id(s) more than once ({string.Join(", ", duplicates.Take(5).Select(d => $"'{d}'"))}" +
                $"{(duplicates.Count > 5 ? ", …" : "")}). Ids must be unique: give each row its own id (an \"id\" column) or remove the repeated rows.");
        return new InputSet(source, layout, items, ignoredFiles);
    }
}
