using System.Globalization;
using System.Text.Json;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>The library side of <c>onnxtransfer parquet schema</c> and <c>parquet cat</c>.</summary>
public class DescribeAndCatTests
{
    [Test]
    public void DescriptionAgreesWithDuckDbsMetadataForADuckDbFile()
    {
        using var temp = new TempDirectory("parquet-describe");
        var path = temp.File("duck.parquet");
        var literal = DuckDb.Literal(path);
        var results = DuckDb.QueryAll(
            $"COPY (SELECT i AS n, 'v' || (i % 4) AS s, [i::FLOAT, 1.5] AS l FROM range(5000) r(i)) TO {literal} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048, KV_METADATA {{owner: 'tests'}})",
            $"SELECT row_group_id AS g, path_in_schema AS p, num_values AS v, compression AS c, total_compressed_size AS size, data_page_offset AS o, stats_null_count AS nulls FROM parquet_metadata({literal}) ORDER BY g, column_id",
            $"SELECT name, type, repetition_type AS r, converted_type AS ct FROM parquet_schema({literal})");
        var chunks = results[1].Rows;
        var schema = results[2].Rows;

        var description = ParquetDescriber.Describe(path);
        var file = description.Files.Single();
        Assert.That(file.RowCount, Is.EqualTo(5000));
        Assert.That(file.KeyValueMetadata, Does.Contain(new KeyValuePair<string, string?>("owner", "tests")));
        var ours = file.RowGroups.SelectMany(g => g.Columns.Select(c => (g.Index, c))).ToList();
        Assert.That(ours, Has.Count.EqualTo(chunks.Count));
        for (var i = 0; i < chunks.Count; i++)
        {
            var (group, chunk) = ours[i];
            var duck = chunks[i];
            Assert.That(group.ToString(CultureInfo.InvariantCulture), Is.EqualTo(duck.GetProperty("g").GetString()));
            Assert.That(chunk.Path.Replace(".", ", "), Is.EqualTo(duck.GetProperty("p").GetString()));
            Assert.That(chunk.ValueCount.ToString(CultureInfo.InvariantCulture), Is.EqualTo(duck.GetProperty("v").GetString()));
            Assert.That(chunk.Codec.ToString().ToUpperInvariant(), Is.EqualTo(duck.GetProperty("c").GetString()));
            Assert.That(chunk.CompressedSize.ToString(CultureInfo.InvariantCulture), Is.EqualTo(duck.GetProperty("size").GetString()));
            Assert.That(chunk.DataPageOffset.ToString(CultureInfo.InvariantCulture), Is.EqualTo(duck.GetProperty("o").GetString()));
        }
        // Schema tree: every node DuckDB lists, with the same repetition, in depth-first order.
        var nodes = new List<ParquetSchemaNode>();
        void Walk(ParquetSchemaNode node) { nodes.Add(node); foreach (var child in node.Children) Walk(child); }
        Walk(file.Schema);
        Assert.That(nodes.Skip(1).Select(n => n.Name), Is.EqualTo(schema.Skip(1).Select(r => r.GetProperty("name").GetString())));
        Assert.That(nodes.Skip(1).Select(n => n.Repetition.ToString()!.ToUpperInvariant()),
            Is.EqualTo(schema.Skip(1).Select(r => r.GetProperty("r").GetString())));

        var text = description.ToText();
        Assert.That(text, Does.Contain("optional group l (LIST) {").And.Contain("repeated group list {").And.Contain("optional float element;"));
        Assert.That(text, Does.Contain("owner = tests").And.Contain("ZSTD").And.Contain("row group 2: 904 rows"));
    }

    [Test]
    public void DescriptionOfOurCacheFileShowsAnnotationsEncodingsAndStatistics()
    {
        using var temp = new TempDirectory("parquet-describe-ours");
        var path = temp.File("cache.parquet");
        var schema = new ParquetSchema(ParquetField.String("id", nullable: false), ParquetField.List("embedding", ParquetField.Float("element", nullable: false)));
        using (var writer = new ParquetFileWriter(path, schema, keyValueMetadata: [new("fingerprint", "{\"a\":1}")]))
        {
            var group = writer.BeginRowGroup(3);
            group.WriteStrings("id", ["b", "a", "c"]);
            group.WriteFixedSizeList<float>("embedding", new float[6], 2);
            group.Complete();
            writer.Complete();
        }
        var file = ParquetDescriber.Describe(path).Files.Single();
        Assert.That(file.CreatedBy, Does.StartWith("OnnxTransfer.Parquet version "));
        var id = file.RowGroups[0].Columns[0];
        Assert.That((id.Min, id.Max, id.NullCount), Is.EqualTo(("\"a\"", "\"c\"", 0L)));
        Assert.That(id.Encodings, Is.EquivalentTo(new[] { ParquetEncoding.Plain, ParquetEncoding.RleDictionary }));
        Assert.That(file.RowGroups[0].Columns[1].Path, Is.EqualTo("embedding.list.element"));
        var text = file.ToText();
        Assert.That(text, Does.Contain("required binary id (STRING);"));
        Assert.That(text, Does.Contain("optional group embedding (LIST) {"));
        Assert.That(text, Does.Contain("required float element;"));
        Assert.That(text, Does.Contain("fingerprint = {\"a\":1}"));
    }

    [Test]
    public void CatStreamsJsonRowsWithProjectionHeadAndRoundTripFloats()
    {
        using var temp = new TempDirectory("parquet-cat");
        var schema = new ParquetSchema(
            ParquetField.String("id", nullable: false),
            ParquetField.Float("p"),
            ParquetField.Double("d", nullable: false),
            ParquetField.Binary("raw"),
            ParquetField.List("top_k", ParquetField.String("element")),
            ParquetField.List("emb", ParquetField.Float("element", nullable: false)));
        var data = new SampleData(99);
        var rows = 30;
        var floats = Enumerable.Range(0, rows).Select(_ => data.RandomFloat()).ToArray();
        floats[3] = float.NaN;
        floats[4] = float.PositiveInfinity;
        var embeddings = data.Embeddings(rows, 3);
        for (var part = 0; part < 2; part++)
        {
            using var writer = new ParquetFileWriter(temp.File($"part-{part}.parquet"), schema, new ParquetWriterOptions { RowGroupSize = 7 });
            var range = Enumerable.Range(part * 15, 15).ToArray();
            writer.Write([
                ParquetColumnData.Create((ParquetPrimitiveField)schema["id"], range.Select(i => $"row-{i} ü\"").ToArray()),
                ParquetColumnData.Create((ParquetPrimitiveField)schema["p"], range.Select(i => floats[i]).ToArray(), range.Select(i => i % 10 == 9).ToArray()),
                ParquetColumnData.Create((ParquetPrimitiveField)schema["d"], range.Select(i => i / 3.0).ToArray()),
                ParquetColumnData.Create((ParquetPrimitiveField)schema["raw"], range.Select(i => i % 2 == 0 ? new byte[] { 0, (byte)i, 255 } : null).ToArray()),
                ParquetColumnData.CreateList((ParquetListField)schema["top_k"], range.SelectMany(i => new[] { "ants", i % 3 == 0 ? null : "bees" }).ToArray(),
                    Enumerable.Range(0, 16).Select(i => i * 2).ToArray()),
                ParquetColumnData.CreateFixedSizeList((ParquetListField)schema["emb"], embeddings.AsSpan(part * 45, 45).ToArray(), 3),
            ]);
            writer.Complete();
        }

        var lines = ParquetJsonRows.ReadAll(temp.Path);
        Assert.That(lines, Has.Count.EqualTo(rows));
        for (var i = 0; i < rows; i++)
        {
            using var row = JsonDocument.Parse(lines[i]);
            var json = row.RootElement;
            Assert.That(json.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "id", "p", "d", "raw", "top_k", "emb" }));
            Assert.That(json.GetProperty("id").GetString(), Is.EqualTo($"row-{i} ü\""));
            var p = json.GetProperty("p");
            if (i % 10 == 9) Assert.That(p.ValueKind, Is.EqualTo(JsonValueKind.Null));
            else if (i == 3) Assert.That(p.GetString(), Is.EqualTo("NaN"));
            else if (i == 4) Assert.That(p.GetString(), Is.EqualTo("Infinity"));
            else Assert.That(float.Parse(p.GetRawText(), CultureInfo.InvariantCulture), Is.EqualTo(floats[i]), $"float {floats[i]:R} printed {p.GetRawText()}");
            Assert.That(json.GetProperty("d").GetDouble(), Is.EqualTo(i / 3.0));
            Assert.That(json.GetProperty("raw").ValueKind == JsonValueKind.Null ? null : json.GetProperty("raw").GetBytesFromBase64(),
                Is.EqualTo(i % 2 == 0 ? new byte[] { 0, (byte)i, 255 } : null));
            Assert.That(json.GetProperty("top_k").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : e.GetString()),
                Is.EqualTo(new[] { "ants", i % 3 == 0 ? null : "bees" }));
            Assert.That(json.GetProperty("emb").EnumerateArray().Select(e => float.Parse(e.GetRawText(), CultureInfo.InvariantCulture)),
                Is.EqualTo(embeddings.AsSpan(i * 3, 3).ToArray()));
        }
        Assert.That(lines[0], Does.Contain("ü"), "non-ASCII text is written as is, not escaped");

        var head = ParquetJsonRows.ReadAll(temp.Path, ["emb", "id"], head: 17);
        Assert.That(head, Has.Count.EqualTo(17));
        Assert.That(head[16], Does.StartWith("{\"emb\":[").And.Contain("\"id\":\"row-16"));
        Assert.Throws<KeyNotFoundException>(() => ParquetJsonRows.ReadAll(temp.Path, ["nope"]));
    }
}
