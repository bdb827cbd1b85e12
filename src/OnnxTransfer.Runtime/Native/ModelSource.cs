namespace OnnxTransfer.Runtime.Native;

/// <summary>Where a session's model comes from: a file (checked up front) or serialized bytes.</summary>
internal readonly struct ModelSource
{
    private ModelSource(string? path, ReadOnlyMemory<byte> bytes)
    {
        Path = path;
        Bytes = bytes;
    }

    public string? Path { get; }

    public ReadOnlyMemory<byte> Bytes { get; }

    public string Description => Path is null ? $"from {Bytes.Length} bytes in memory" : $"'{Path}'";

    public static ModelSource FromPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
            throw new FileNotFoundException($"Model path '{fullPath}' is a directory; name the .onnx file inside it.", fullPath);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException($"Model file '{fullPath}' does not exist: check the path (onnx-models/ describes how to obtain the supported models).", fullPath);
        return new ModelSource(fullPath, default);
    }

    public static ModelSource FromBytes(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty) throw new ArgumentException("The model bytes are empty: read the .onnx file completely before creating a session.", nameof(bytes));
        return new ModelSource(null, bytes);
    }
}
