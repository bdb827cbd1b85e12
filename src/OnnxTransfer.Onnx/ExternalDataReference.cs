namespace OnnxTransfer.Onnx;

/// <summary>
/// Where a tensor's bytes are when the model keeps them outside the protobuf (<c>data_location = EXTERNAL</c>):
/// <see cref="Location"/> is the path as written in the model, relative to the model's directory;
/// <see cref="ResolvedPath"/> is that path resolved against the directory the model was loaded from (null when the model
/// was loaded from bytes without a base directory). <see cref="Length"/> is null when the file says "to the end".
/// </summary>
public sealed record ExternalDataReference(string TensorName, string Location, long Offset, long? Length, string? Checksum, string? ResolvedPath)
{
    public bool FileExists => ResolvedPath is not null && File.Exists(ResolvedPath);
}

internal static class ExternalDataEntries
{
    /// <summary>
    /// Reads a tensor's <c>external_data</c> key/value entries; refuses an entry list without a location or with
    /// offsets that are not numbers, naming the tensor.
    /// </summary>
    public static ExternalDataReference Parse(Protobuf.TensorProto tensor, string? baseDirectory)
    {
        string? location = null, checksum = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = ParseNumber(tensor, entry); break;
                case "length": length = ParseNumber(tensor, entry); break;
                case "checksum": checksum = entry.Value; break;
            }
        }
        if (string.IsNullOrEmpty(location))
            throw new OnnxModelException(
                $"Tensor '{tensor.Name}' is marked as external data but has no 'location' entry: the model file is damaged; " +
                "re-export it or re-save it with its external data.");
        var resolved = baseDirectory is null ? null : Path.GetFullPath(Path.Combine(baseDirectory, location));
        return new ExternalDataReference(tensor.Name, location, offset, length, checksum, resolved);
    }

    private static long ParseNumber(Protobuf.TensorProto tensor, Protobuf.StringStringEntryProto entry) =>
        long.TryParse(entry.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new OnnxModelException(
                $"Tensor '{tensor.Name}' has external data {entry.Key} '{entry.Value}', which is not a non-negative integer: the model file is damaged.");

    /// <summary>Points a tensor at a range of a data file (replacing any previous entries).</summary>
    public static void Set(Protobuf.TensorProto tensor, string location, long offset, long length)
    {
        tensor.ExternalData.Clear();
        tensor.ExternalData.Add(new Protobuf.StringStringEntryProto { Key = "location", Value = location });
        tensor.ExternalData.Add(new Protobuf.StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new Protobuf.StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        tensor.DataLocation = Protobuf.TensorProto.Types.DataLocation.External;
        tensor.ClearRawData();
    }
}
