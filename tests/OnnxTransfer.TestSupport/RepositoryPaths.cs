namespace OnnxTransfer.TestSupport;

/// <summary>The repository the tests were built from, found by walking up to <c>OnnxTransfer.sln</c>.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OnnxTransfer.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No OnnxTransfer.sln above '{AppContext.BaseDirectory}'.");
    });

    public static string Root => RootPath.Value;
    public static string Tools => Path.Combine(Root, "tools");
    public static string NodeOracles => Path.Combine(Root, "tools", "node");
    public static string OnnxModels => Path.Combine(Root, "onnx-models");
}
