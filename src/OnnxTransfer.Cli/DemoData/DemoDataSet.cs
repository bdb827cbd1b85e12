namespace OnnxTransfer.Cli.DemoData;

/// <summary>
/// What the demo needs when the shared folder is absent, laid out as the shared folder is (so ONNXTRANSFER_SHARED can
/// point at it): models/mobilenetv2-int8/model.onnx and datasets/hymenoptera/{train,val}/{ants,bees}. The only
/// downloads OnnxTransfer ever makes, from pinned public sources or the ONNXTRANSFER_DATA_MIRROR mirror.
/// </summary>
public sealed class DemoDataSet(string root, ResumableDownload download, Action<string> progress)
{
    public static readonly DataSource Model = new("mobilenetv2_int8_static.onnx", new Uri(
        "https://raw.githubusercontent.com/kaysono0/EdgeFlow/b12c6d7ac4a95f659a768a123c73469b450e8aef/models/mobilenetv2_int8_static.onnx"));

    public const string ModelSha256 = "e12d7e32e77f23324dd8c291632f3766807df7c30b21aec2dd10348494b83e32";

    public static readonly DataSource Images = new("hymenoptera_data.zip", new Uri("https://download.pytorch.org/tutorial/hymenoptera_data.zip"));

    /// <summary><c>$ONNXTRANSFER_HOME</c>, else <c>~/.local/share/onnxtransfer</c> (where tools/setup.sh also puts things).</summary>
    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable("ONNXTRANSFER_HOME") is { Length: > 0 } home
            ? Path.GetFullPath(home)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "onnxtransfer");

    public string Root { get; } = Path.GetFullPath(root);
    public string ModelPath => Path.Combine(Root, "models", "mobilenetv2-int8", "model.onnx");
    public string ImagesPath => Path.Combine(Root, "datasets", "hymenoptera");
    private string ZipPath => Path.Combine(Root, "downloads", Images.FileName);

    /// <summary>Gets whatever is missing or does not verify; what is in place is checked and kept.</summary>
    public void Fetch(string? mirror, CancellationToken token)
    {
        if (File.Exists(ModelPath) && ResumableDownload.Sha256Of(ModelPath) == ModelSha256)
            progress($"model present and verified: {ModelPath}");
        else
            download.Fetch(Model.Resolve(mirror), ModelPath, ModelSha256, token);

        if (HymenopteraArchive.IsComplete(ImagesPath))
        {
            progress($"images present and verified: {ImagesPath}");
            return;
        }
        // The zip has no published checksum; its 398 files are checked one by one against the committed list instead.
        download.Fetch(Images.Resolve(mirror), ZipPath, sha256: null, token);
        try { HymenopteraArchive.Unpack(ZipPath, ImagesPath, progress); }
        finally { if (File.Exists(ZipPath)) File.Delete(ZipPath); } // verified and unpacked, or refused: not kept either way
    }
}
