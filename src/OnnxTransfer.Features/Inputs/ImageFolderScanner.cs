namespace OnnxTransfer.Features.Inputs;

/// <summary>
/// Lists the images of a folder in ImageFolder layout: <c>split/label/file</c>, <c>label/file</c> or flat. The layout is
/// decided for the whole tree from the depth of its image files, so one stray nested folder is reported rather than
/// silently mislabelled. Hidden files and folders (starting with '.') are skipped; non-image files are counted and
/// ignored.
/// </summary>
public static class ImageFolderScanner
{
    /// <summary>Extensions taken as images (case-insensitive). Content decides the decoder; the extension only selects files.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".gif", ".webp", ".tif", ".tiff", ".bmp", ".heic", ".heif", ".avif", ".jxl", ".jp2", ".j2k",
    };

    public static InputSet Scan(string folder)
    {
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root)) throw new InputSourceException($"Input folder '{root}' does not exist.");
        var files = new List<(string Full, string[] Parts)>();
        var ignored = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden, IgnoreInaccessible = true };
        foreach (var path in Directory.EnumerateFiles(root, "*", options))
        {
            var relative = Path.GetRelativePath(root, path);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (Array.Exists(parts, p => p.StartsWith('.'))) continue;
            if (!ImageExtensions.Contains(Path.GetExtension(path))) { ignored++; continue; }
            files.Add((path, parts));
        }
        if (files.Count == 0)
            throw new InputSourceException(
                $"Input folder '{root}' holds no image files ({string.Join(", ", ImageExtensions.Order())}){(ignored > 0 ? $"; {ignored} other file(s) were ignored" : "")}.");

        var depths = files.Select(f => f.Parts.Length).Distinct().Order().ToArray();
        if (depths.Length > 1 || depths[0] > 3)
        {
            var examples = depths.Select(d => files.First(f => f.Parts.Length == d)).Select(f => $"'{string.Join('/', f.Parts)}'");
            throw new InputSourceException(
                $"Input folder '{root}' mixes images at different depths ({string.Join(", ", examples)}). Use one layout: split/label/file, " +
                "label/file or files directly in the folder — or list the inputs in a manifest (.csv/.jsonl with path, label, split).");
        }
        var layout = depths[0] switch { 1 => FolderLayout.Flat, 2 => FolderLayout.LabelFolders, _ => FolderLayout.SplitAndLabelFolders };
        var items = new List<InputItem>(files.Count);
        foreach (var (full, parts) in files)
        {
            var id = string.Join('/', parts);
            items.Add(layout switch
            {
                FolderLayout.Flat => new InputItem(id, full, null, null),
                FolderLayout.LabelFolders => new InputItem(id, full, parts[0], null),
                _ => new InputItem(id, full, parts[1], parts[0]),
            });
        }
        return InputSet.Create(root, layout, items, ignored);
    }
}
