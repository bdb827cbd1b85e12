using OnnxTransfer.Parquet;

namespace OnnxTransfer.Training.Data;

public sealed partial class EmbeddingDataset
{
    /// <summary>
    /// <see cref="Open"/> for training from a cache: a part that is not valid Parquet is refused with the repair of the
    /// cache (nothing of a damaged part is used; a part's inputs are re-embedded when it is gone).
    /// </summary>
    /// <exception cref="TrainingDataException">A damaged part; the message names it and the repair.</exception>
    public static EmbeddingDataset OpenNamingRepair(string path, EmbeddingColumns columns)
    {
        try { return Open(path, columns); }
        catch (ParquetFormatException e)
        {
            throw new TrainingDataException($"{e.Message}. Nothing of it was used. If '{path}' is an embedding cache, delete that part and its .sha256 file " +
                                            "and rerun the same extract command: it embeds exactly that part's inputs again (`onnxtransfer cache verify` lists every damaged part).");
        }
    }
}
