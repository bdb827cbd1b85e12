using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OnnxTransfer.Parquet;

/// <summary>
/// Streams rows as JSON objects, one per line (the library side of <c>onnxtransfer parquet cat</c>). Floats are written
/// in the shortest form that reads back to the same float32/float64; NaN and infinities, which JSON lacks, are written
/// as the strings "NaN", "Infinity", "-Infinity"; binary values as base64 strings; lists as arrays.
/// </summary>
public static class ParquetJsonRows
{
    /// <summary>
    /// Writes the rows of a file or dataset directory to <paramref name="output"/>; <paramref name="columns"/> projects
    /// (null: every readable column), <paramref name="head"/> stops after that many rows. Returns the rows written.
    /// </summary>
    public static long Write(string fileOrDirectory, Stream output, IReadOnlyList<string>? columns = null, long? head = null,
        ParquetReaderOptions? options = null)
    {
        var dataset = ParquetDataset.Open(fileOrDirectory, options);
        var projection = Project(dataset.Schema, columns);
        var limit = head ?? long.MaxValue;
        if (limit <= 0) return 0;
        var settings = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };
        using var json = new Utf8JsonWriter(output, settings);
        long written = 0;
        foreach (var group in dataset.RowGroups())
        {
            var data = projection.Select(field => group.ReadColumn(field.Name)).ToArray();
            for (var row = 0; row < group.RowCount; row++)
            {
                json.WriteStartObject();
                foreach (var column in data)
                {
                    json.WritePropertyName(column.Field.Name);
                    WriteCell(json, column, row);
                }
                json.WriteEndObject();
                json.Flush();
                output.WriteByte((byte)'\n');
                json.Reset(output);
                if (++written >= limit) return written;
            }
        }
        return written;
    }

    /// <summary>The rows as JSON texts (convenient for tests and small outputs).</summary>
    public static IReadOnlyList<string> ReadAll(string fileOrDirectory, IReadOnlyList<string>? columns = null, long? head = null,
        ParquetReaderOptions? options = null)
    {
        using var buffer = new MemoryStream();
        Write(fileOrDirectory, buffer, columns, head, options);
        return Encoding.UTF8.GetString(buffer.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static List<ParquetField> Project(ParquetSchema schema, IReadOnlyList<string>? columns)
    {
        if (columns is null || columns.Count == 0) return [.. schema.Fields];
        var fields = new List<ParquetField>();
        foreach (var name in columns)
        {
            if (!schema.Contains(name))
            {
                var unsupported = schema.UnsupportedFields.FirstOrDefault(f => f.Key == name);
                if (unsupported.Key is not null) throw new NotSupportedException($"Column '{name}' cannot be read: {unsupported.Value}.");
                schema.IndexOf(name); // throws naming the columns there are
            }
            fields.Add(schema[name]);
        }
        return fields;
    }

    private static void WriteCell(Utf8JsonWriter json, ParquetColumnData column, int row)
    {
        if (column.Offsets is null)
        {
            WriteValue(json, column, row);
            return;
        }
        if (column.IsRowNull(row))
        {
            json.WriteNullValue();
            return;
        }
        json.WriteStartArray();
        for (var slot = column.Offsets[row]; slot < column.Offsets[row + 1]; slot++) WriteValue(json, column, slot);
        json.WriteEndArray();
    }

    private static void WriteValue(Utf8JsonWriter json, ParquetColumnData column, int slot)
    {
        if (column.IsValueNull(slot))
        {
            json.WriteNullValue();
            return;
        }
        switch (column.Values)
        {
            case bool[] v: json.WriteBooleanValue(v[slot]); break;
            case int[] v: json.WriteNumberValue(v[slot]); break;
            case long[] v: json.WriteNumberValue(v[slot]); break;
            case float[] v:
                if (float.IsFinite(v[slot])) json.WriteNumberValue(v[slot]);
                else json.WriteStringValue(NonFinite(v[slot]));
                break;
            case double[] v:
                if (double.IsFinite(v[slot])) json.WriteNumberValue(v[slot]);
                else json.WriteStringValue(NonFinite(v[slot]));
                break;
            case string[] v: json.WriteStringValue(v[slot]); break;
            case byte[][] v: json.WriteBase64StringValue(v[slot]); break;
        }
    }

    private static string NonFinite(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}
