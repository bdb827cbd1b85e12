using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Schema;

namespace OnnxTransfer.Parquet.Writing;

internal static class SchemaElements
{
    public static List<SchemaElement> For(ParquetSchema schema) => SchemaTree.ToElements(schema.Fields);
}
