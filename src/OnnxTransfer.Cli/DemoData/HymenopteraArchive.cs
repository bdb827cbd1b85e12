using System.IO.Compression;
using System.Reflection;

namespace OnnxTransfer.Cli.DemoData;

/// <summary>
/// The PyTorch tutorial's hymenoptera_data.zip, unpacked into <c>datasets/hymenoptera/{train,val}/{ants,bees}</c> and
/// verified file by file against hymenoptera.sha256 (398 files, made from the shared copy): the list is the truth. The
/// zip's top folder (hymenoptera_data/) is dropped; entries not on the list are left out; a listed file missing from the
/// zip or with other bytes fails the whole unpack. Files are written into a staging folder renamed into place at the end.
/// </summary>
public static class HymenopteraArchive
{
    /// <summary>(relative path with '/', sha256) of every file of the data set.</summary>
    public static IReadOnlyList<(string Path, string Sha256)> Expected { get; } = ReadList();

    /// <summary>True when every listed file is in <paramref name="folder"/> with its listed bytes.</summary>
    public static bool IsComplete(string folder) =>
        Directory.Exists(folder) && Expected.All(e => File.Exists(Path.Combine(folder, e.Path)) &&
                                                       ResumableDownload.Sha256Of(Path.Combine(folder, e.Path)) == e.Sha256);

    /// <summary>Unpacks and verifies; returns how many zip entries were not on the list (and so left out).</summary>
    public static int Unpack(string zipPath, string destination, Action<string> progress)
    {
        var staging = destination + ".partial";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        var wanted = Expected.ToDictionary(e => e.Path, e => e.Sha256, StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        var ignored = 0;
        using (var zip = OpenZip(zipPath))
        {
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName.EndsWith('/')) continue; // a folder
                var relative = WithoutTopFolder(entry.FullName);
                if (relative is null || !wanted.TryGetValue(relative, out var sha256)) { ignored++; continue; }
                var target = Path.Combine(staging, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using (var input = entry.Open())
                using (var output = File.Create(target))
                    input.CopyTo(output);
                var actual = ResumableDownload.Sha256Of(target);
                if (actual != sha256)
                {
                    Directory.Delete(staging, recursive: true);
                    throw new DemoDataException($"{zipPath}: {entry.FullName} has sha256 {actual}, the list says {sha256}; nothing was unpacked. " +
                        "The archive is not the PyTorch tutorial's hymenoptera_data.zip; remove it and fetch again.");
                }
                found.Add(relative);
            }
        }
        var missing = wanted.Keys.Where(k => !found.Contains(k)).ToList();
        if (missing.Count > 0)
        {
            Directory.Delete(staging, recursive: true);
            throw new DemoDataException($"{zipPath} lacks {missing.Count} of the {wanted.Count} listed files (first: {missing[0]}); nothing was " +
                "unpacked. The archive is not the PyTorch tutorial's hymenoptera_data.zip; remove it and fetch again.");
        }
        if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
        Directory.Move(staging, destination);
        progress($"hymenoptera_data.zip: {found.Count} files unpacked into {destination}, each matching its sha256" +
                 (ignored > 0 ? $" ({ignored} entries not on the list left out)" : ""));
        return ignored;
    }

    private static ZipArchive OpenZip(string path)
    {
        try { return ZipFile.OpenRead(path); }
        catch (InvalidDataException e)
        {
            File.Delete(path);
            throw new DemoDataException($"{path} is not a readable zip ({e.Message}); it was removed, fetch again.");
        }
    }

    /// <summary>"hymenoptera_data/train/ants/x.jpg" → "train/ants/x.jpg"; the list's own layout is accepted as is.</summary>
    private static string? WithoutTopFolder(string entry)
    {
        var path = entry.Replace('\\', '/');
        if (path.StartsWith("train/", StringComparison.Ordinal) || path.StartsWith("val/", StringComparison.Ordinal)) return path;
        var slash = path.IndexOf('/');
        return slash < 0 ? null : path[(slash + 1)..];
    }

    private static List<(string, string)> ReadList()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("OnnxTransfer.Cli.DemoData.hymenoptera.sha256")
            ?? throw new InvalidOperationException("hymenoptera.sha256 is not embedded in the CLI assembly");
        using var reader = new StreamReader(stream);
        var list = new List<(string, string)>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            // sha256sum format: 64 hex digits, two spaces, the path
            list.Add((line[66..], line[..64]));
        }
        return list;
    }
}
