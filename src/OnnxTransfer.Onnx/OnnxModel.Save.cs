using Google.Protobuf;
using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

public sealed partial class OnnxModel
{
    private const int ExternalDataAlignment = 4096;

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically (a temporary file in the same directory, then a rename), so a
    /// reader never sees half a model. Validates first unless <see cref="SaveOptions.Validate"/> is off. External data is
    /// handled as <see cref="SaveOptions.ExternalData"/> says; afterwards the model's references and
    /// <see cref="BaseDirectory"/> describe the saved files.
    /// </summary>
    public void Save(string path, SaveOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= SaveOptions.Default;
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        if (options.Validate) Validate();

        var external = AllTensors().Where(TensorData.IsExternal).ToList();
        string? dataTemp = null, dataFinal = null, modelTemp = null;
        List<(TensorProto Tensor, StringStringEntryProto[] Entries)>? previousEntries = null;
        var completed = false;
        try
        {
            if (external.Count > 0)
            {
                switch (options.ExternalData)
                {
                    case ExternalDataMode.Inline:
                        InlineExternalData(external);
                        break;
                    case ExternalDataMode.Keep:
                        CopyExternalFilesTo(directory, external);
                        break;
                    case ExternalDataMode.Consolidate:
                        dataFinal = Path.GetFullPath(Path.Combine(directory, options.DataFileName ?? Path.GetFileName(full) + ".data"));
                        if (!IsUnder(dataFinal, directory) || SamePath(dataFinal, full))
                            throw new ArgumentException(
                                $"DataFileName '{options.DataFileName}' must name a file inside the model's directory, other than the model itself.", nameof(options));
                        Directory.CreateDirectory(Path.GetDirectoryName(dataFinal)!);
                        previousEntries = external.Select(t => (t, t.ExternalData.ToArray())).ToList();
                        dataTemp = WriteConsolidatedData(external, dataFinal, Path.GetRelativePath(directory, dataFinal));
                        break;
                }
            }
            EnsureFitsInProtobuf(PayloadBytes(includeExternal: false), "be saved");
            modelTemp = WriteToTemp(full, stream => Proto.WriteTo(stream));
            // Data first: the model file must never point at a data file that is not there yet.
            if (dataTemp is not null) File.Move(dataTemp, dataFinal!, overwrite: true);
            dataTemp = null;
            File.Move(modelTemp, full, overwrite: true);
            modelTemp = null;
            BaseDirectory = directory;
            completed = true;
        }
        finally
        {
            if (!completed)
            {
                // A failed save leaves the model pointing at its original external files, as before the call.
                if (previousEntries is not null)
                    foreach (var (tensor, entries) in previousEntries)
                    {
                        tensor.ExternalData.Clear();
                        tensor.ExternalData.AddRange(entries);
                    }
                if (dataTemp is not null) TryDelete(dataTemp);
                if (modelTemp is not null) TryDelete(modelTemp);
            }
        }
    }

    private void InlineExternalData(List<TensorProto> external)
    {
        EnsureFitsInProtobuf(PayloadBytes(includeExternal: true), "be saved with its external data inlined");
        // Read everything before changing anything, so a missing file leaves the model as it was.
        var data = external.Select(t => TensorData.ReadBytes(t, ExternalDataEntries.Parse(t, BaseDirectory))).ToArray();
        for (var i = 0; i < external.Count; i++)
        {
            external[i].ExternalData.Clear();
            external[i].ClearDataLocation();
            external[i].RawData = ByteString.CopyFrom(data[i]);
        }
    }

    private void CopyExternalFilesTo(string directory, List<TensorProto> external)
    {
        var references = external.Select(t => ExternalDataEntries.Parse(t, BaseDirectory)).ToList();
        if (BaseDirectory is not null && SamePath(BaseDirectory, directory)) return;
        if (BaseDirectory is null)
            throw new OnnxModelException(
                $"The model keeps tensor '{references[0].TensorName}' (and {references.Count - 1} more) in external file " +
                $"'{references[0].Location}', but it was loaded from bytes without a base directory, so the file cannot be found: " +
                "load it with OnnxModel.Load(path), or save with ExternalDataMode.Inline after giving a base directory.");
        foreach (var group in references.GroupBy(r => r.Location, StringComparer.Ordinal))
        {
            var reference = group.First();
            var target = Path.GetFullPath(Path.Combine(directory, reference.Location));
            if (Path.IsPathRooted(reference.Location) || !IsUnder(target, directory))
                throw new OnnxModelException(
                    $"Tensor '{reference.TensorName}' refers to external file '{reference.Location}', which is not inside the model's " +
                    "directory, so it cannot be copied beside the saved model: save with ExternalDataMode.Consolidate to write a new data file.");
            if (!reference.FileExists)
                throw new OnnxModelException(
                    $"External data file '{reference.ResolvedPath}' of tensor '{reference.TensorName}' does not exist, so the model cannot " +
                    "be saved with its data: put the file back beside the source model.");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            WriteAtomically(target, stream =>
            {
                using var source = new FileStream(reference.ResolvedPath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
                source.CopyTo(stream, 1 << 20);
            });
        }
    }

    /// <summary>Writes the external tensors into a temporary data file and re-points them; returns the temporary path.</summary>
    private string WriteConsolidatedData(List<TensorProto> external, string finalPath, string location)
    {
        var references = external.Select(t => ExternalDataEntries.Parse(t, BaseDirectory)).ToList();
        var missing = references.FirstOrDefault(r => !r.FileExists);
        if (missing is not null)
            throw new OnnxModelException(
                $"External data file '{missing.ResolvedPath ?? missing.Location}' of tensor '{missing.TensorName}' cannot be read, so the " +
                "model's data cannot be consolidated: load the model from its path with its data files beside it.");
        var temp = TempPathFor(finalPath);
        var sources = new Dictionary<string, FileStream>(StringComparer.Ordinal);
        var placed = new (long Offset, long Length)[external.Count];
        try
        {
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var buffer = new byte[1 << 20];
                for (var i = 0; i < external.Count; i++)
                {
                    var reference = references[i];
                    if (!sources.TryGetValue(reference.ResolvedPath!, out var source))
                        sources[reference.ResolvedPath!] = source = new FileStream(reference.ResolvedPath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
                    var expected = TensorData.ByteSize(external[i]);
                    var length = reference.Length ?? expected;
                    if (length != expected || reference.Offset + length > source.Length)
                        throw new OnnxModelException(
                            $"Tensor '{reference.TensorName}' needs {expected} bytes but its external data entry points at {length} bytes from " +
                            $"offset {reference.Offset} of '{reference.ResolvedPath}' ({source.Length} bytes): the data file does not match the model.");
                    var padding = (int)((ExternalDataAlignment - output.Position % ExternalDataAlignment) % ExternalDataAlignment);
                    if (padding > 0) output.Write(new byte[padding]);
                    placed[i] = (output.Position, length);
                    source.Position = reference.Offset;
                    for (var left = length; left > 0;)
                    {
                        var read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                        if (read == 0) throw new EndOfStreamException($"'{reference.ResolvedPath}' ended early while copying tensor '{reference.TensorName}'.");
                        output.Write(buffer, 0, read);
                        left -= read;
                    }
                }
                output.Flush(flushToDisk: true);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        finally
        {
            foreach (var s in sources.Values) s.Dispose();
        }
        var posix = location.Replace(Path.DirectorySeparatorChar, '/');
        for (var i = 0; i < external.Count; i++) ExternalDataEntries.Set(external[i], posix, placed[i].Offset, placed[i].Length);
        return temp;
    }

    private static void WriteAtomically(string path, Action<Stream> write)
    {
        var temp = WriteToTemp(path, write);
        try
        {
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes a file under a temporary name beside <paramref name="path"/> and returns that name.</summary>
    private static string WriteToTemp(string path, Action<Stream> write)
    {
        var temp = TempPathFor(path);
        try
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        return temp;
    }

    private static string TempPathFor(string path) => $"{path}.{Guid.NewGuid():N}.tmp";

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)),
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static bool IsUnder(string path, string directory)
    {
        var relative = Path.GetRelativePath(directory, path);
        return !Path.IsPathRooted(relative) && relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}
