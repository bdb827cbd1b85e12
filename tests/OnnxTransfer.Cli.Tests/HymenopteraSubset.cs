using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>A small real input set: the first images (by name) of each split and label of the shared hymenoptera set.</summary>
internal static class HymenopteraSubset
{
    /// <summary>Copies <paramref name="perLabel"/> images of train/val × ants/bees into <paramref name="images"/> (split/label/file).</summary>
    public static string CopyTo(string images, int perLabel)
    {
        foreach (var split in new[] { "train", "val" })
            foreach (var label in new[] { "ants", "bees" })
            {
                var target = Path.Combine(images, split, label);
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, split, label)).Order(StringComparer.Ordinal).Take(perLabel))
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        return images;
    }
}
