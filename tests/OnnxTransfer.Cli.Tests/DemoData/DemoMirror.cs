using System.IO.Compression;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests.DemoData;

/// <summary>
/// The two files fetch-demo-data downloads, made from the shared folder: the model as it is, and hymenoptera_data.zip
/// in the tutorial zip's layout (hymenoptera_data/{train,val}/{ants,bees}/...), stored uncompressed (JPEGs do not shrink).
/// </summary>
public static class DemoMirror
{
    public const string ModelFile = "mobilenetv2_int8_static.onnx";
    public const string ZipFile = "hymenoptera_data.zip";

    public static void WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        File.Copy(SharedData.MobileNetV2Int8Model, Path.Combine(folder, ModelFile), overwrite: true);
        File.WriteAllBytes(Path.Combine(folder, ZipFile), HymenopteraZip());
    }

    /// <param name="change">given (relative path, bytes), the bytes to store, or null to leave the file out</param>
    public static byte[] HymenopteraZip(Func<string, byte[], byte[]?>? change = null, string? extraEntry = null)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.EnumerateFiles(SharedData.Hymenoptera, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(SharedData.Hymenoptera, file).Replace('\\', '/');
                var bytes = File.ReadAllBytes(file);
                if ((change is null ? bytes : change(relative, bytes)) is not { } stored) continue;
                using var entry = zip.CreateEntry("hymenoptera_data/" + relative, CompressionLevel.NoCompression).Open();
                entry.Write(stored);
            }
            if (extraEntry is not null)
            {
                using var entry = zip.CreateEntry(extraEntry).Open();
                entry.Write("not part of the data set"u8);
            }
        }
        return memory.ToArray();
    }
}
