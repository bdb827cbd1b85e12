namespace OnnxTransfer.TestSupport;

/// <summary>
/// Where the shared models, datasets and reference tensors are: <c>$ONNXTRANSFER_SHARED</c>, else <c>../shared</c> beside
/// the repository. They are never copied into the repository.
/// </summary>
public static class SharedData
{
    public const string EnvironmentVariable = "ONNXTRANSFER_SHARED";

    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string MobileNetV2Int8Model => Path.Combine(Root, "models", "mobilenetv2-int8", "model.onnx");
    public static string ImageNetClasses => Path.Combine(Root, "models", "mobilenetv2-int8", "imagenet_classes.txt");
    public const string MobileNetV2FeatureTensor = "/Flatten_output_0";
    public const int MobileNetV2FeatureDim = 1280;
    public const string MobileNetV2Sha256 = "e12d7e32e77f23324dd8c291632f3766807df7c30b21aec2dd10348494b83e32";

    public static string ReferenceImages => Path.Combine(Root, "reference", "images");
    public static string ReferenceTensors => Path.Combine(Root, "reference", "tensors");
    public static string Hymenoptera => Path.Combine(Root, "datasets", "hymenoptera");
    public static string Sst2Train => Path.Combine(Root, "datasets", "sst2", "train.txt");
    public static string BertBaseUncasedTokenizer => Path.Combine(Root, "tokenizers", "bert-base-uncased");

    /// <summary>Names of the reference images (file name without extension), e.g. "astronaut", sorted.</summary>
    public static IReadOnlyList<string> ReferenceNames =>
        Directory.GetFiles(ReferenceTensors, "*.input.npy")
            .Select(p => Path.GetFileName(p)[..^".input.npy".Length])
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>
    /// A small set of real photos: in <paramref name="folder"/>, symbolic links to the first <paramref name="perGroup"/>
    /// JPEGs (by name) of each hymenoptera group named, e.g. "val/ants", under the same group folders. Returns the folder.
    /// </summary>
    public static string LinkHymenopteraPhotos(string folder, int perGroup, params string[] groups)
    {
        foreach (var group in groups)
        {
            Directory.CreateDirectory(Path.Combine(folder, group));
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Hymenoptera, group), "*.jpg").Order(StringComparer.Ordinal).Take(perGroup))
                File.CreateSymbolicLink(Path.Combine(folder, group, Path.GetFileName(file)), file);
        }
        return folder;
    }

    public static string ReferenceTensor(string name, string kind) => Path.Combine(ReferenceTensors, $"{name}.{kind}.npy");

    public static string ReferenceImage(string name) =>
        Directory.GetFiles(ReferenceImages, name + ".*").Single();

    private static string FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        var root = string.IsNullOrEmpty(fromEnvironment)
            ? Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared"))
            : Path.GetFullPath(fromEnvironment);
        if (!File.Exists(Path.Combine(root, "models", "mobilenetv2-int8", "model.onnx")))
            throw new InvalidOperationException(
                $"Shared test data not found at '{root}'. Set {EnvironmentVariable} to the folder that holds models/, datasets/ and reference/.");
        return root;
    }
}
