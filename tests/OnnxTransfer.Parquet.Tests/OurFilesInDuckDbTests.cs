using System.Globalization;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>
/// Files we write, with every codec, page version and value encoding, read by DuckDB with exactly our values:
/// embeddings as FLOAT[] (castable to FLOAT[dim]), strings, nulls, ragged lists, key-value metadata and statistics.
/// </summary>
public class OurFilesInDuckDbTests
{
    private const int Rows = 700;
    private const int Dim = 8;

    private static readonly ParquetSchema Schema = new(
        ParquetField.String("id", nullable: false),
        ParquetField.String("label"),
        ParquetField.Int32("i32"),
        ParquetField.Int64("i64", nullable: false),
        ParquetField.Float("f"),
        ParquetField.Double("d", nullable: false),
        ParquetField.Boolean("flag"),
        ParquetField.Binary("blob"),
        ParquetField.FixedLengthBinary("fixed", 4),
        ParquetField.List("embedding", ParquetField.Float("element", nullable: false)),
        ParquetField.List("scores", ParquetField.Double("element")),
        ParquetField.List("top_k", ParquetField.String("element")),
        ParquetField.List("counts", ParquetField.Int32("element", nullable: false), nullable: false));

    private const string Projection =
        "id, label, i32, i64, f, d, flag, hex(blob) AS blob, hex(fixed) AS fixed, embedding, embedding::FLOAT[8] AS emb_fixed, scores, top_k, counts";

    public static readonly object[] Variants =
    [
        new object[] { "snappy-v1", new ParquetWriterOptions() },
        new object[] { "uncompressed-v1", new ParquetWriterOptions { Compression = ParquetCompressionCodec.Uncompressed } },
        new object[] { "gzip-v1", new ParquetWriterOptions { Compression = ParquetCompressionCodec.Gzip } },
        new object[] { "zstd-v1-bss", new ParquetWriterOptions { Compression = ParquetCompressionCodec.Zstd, ByteStreamSplitFloatingPoint = true } },
        new object[] { "snappy-v2", new ParquetWriterOptions { DataPageVersion = ParquetDataPageVersion.V2 } },
        new object[] { "uncompressed-v2-bss", new ParquetWriterOptions { Compression = ParquetCompressionCodec.Uncompressed, DataPageVersion = ParquetDataPageVersion.V2, ByteStreamSplitFloatingPoint = true } },
        new object[] { "zstd-v2-no-dictionary", new ParquetWriterOptions { Compression = ParquetCompressionCodec.Zstd, DataPageVersion = ParquetDataPageVersion.V2, DictionaryEncodeStrings = false, CompressionLevel = 9 } },
        new object[] { "gzip-v2-small-pages-and-groups", new ParquetWriterOptions { Compression = ParquetCompressionCodec.Gzip, DataPageVersion = ParquetDataPageVersion.V2, PageSizeBytes = 256, RowGroupSize = 128 } },
        new object[] { "snappy-v1-small-pages", new ParquetWriterOptions { PageSizeBytes = 100, RowGroupSize = 300 } },
        new object[] { "snappy-v1-checksums", new ParquetWriterOptions { WritePageChecksums = true, PageSizeBytes = 500 } },
        new object[] { "zstd-v2-checksums", new ParquetWriterOptions { Compression = ParquetCompressionCodec.Zstd, DataPageVersion = ParquetDataPageVersion.V2, WritePageChecksums = true } },
    ];

    private TempDirectory _temp = null!;
    private ParquetColumnData[] _columns = null!;
    private Dictionary<string, IReadOnlyList<DuckDb.Result>> _duck = null!;

    [OneTimeSetUp]
    public void WriteFilesAndReadThemWithDuckDb()
    {
        _temp = new TempDirectory("parquet-ours");
        var data = new SampleData(seed: 20240611);
        _columns = Schema.Fields.Select(field => field.Name == "embedding"
            ? ParquetColumnData.CreateFixedSizeList((ParquetListField)field, data.Embeddings(Rows, Dim), Dim)
            : data.Column(field, Rows)).ToArray();
        var ids = _columns[0].GetValues<string>();
        for (var i = 0; i < Rows; i++) ids[i] = $"id-{i:D5}-{ids[i]}"; // unique and sorted, a cache's primary key

        var statements = new List<string>();
        foreach (var variant in Variants.Cast<object[]>())
        {
            var path = _temp.File($"{variant[0]}.parquet");
            using (var writer = new ParquetFileWriter(path, Schema, (ParquetWriterOptions)variant[1],
                       [new("fingerprint", "{\"model\":\"mobilenet\",\"dim\":8}"), new("variant", (string)variant[0])]))
            {
                writer.Write(_columns);
                writer.Complete();
            }
            var literal = DuckDb.Literal(path);
            statements.Add($"SELECT {Projection} FROM read_parquet({literal}, file_row_number = true) ORDER BY file_row_number");
            statements.Add($"SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata({literal}) ORDER BY k");
            statements.Add($"SELECT path_in_schema AS p, row_group_id AS g, stats_min_value AS lo, stats_max_value AS hi, stats_null_count AS nulls " +
                           $"FROM parquet_metadata({literal}) WHERE path_in_schema IN ('id', 'i32', 'i64', 'label') ORDER BY g, p");
            statements.Add($"SELECT count(*) AS n FROM read_parquet({literal}) WHERE i32 > 0");
        }
        var results = DuckDb.QueryAll([.. statements]);
        _duck = new Dictionary<string, IReadOnlyList<DuckDb.Result>>();
        for (var i = 0; i < Variants.Length; i++) _duck[(string)((object[])Variants[i])[0]] = results.Skip(i * 4).Take(4).ToList();
    }

    [OneTimeTearDown]
    public void Cleanup() => _temp.Dispose();

    [TestCaseSource(nameof(Variants))]
    public void DuckDbReadsOurValuesExactly(string variant, ParquetWriterOptions options)
    {
        var read = _duck[variant][0];
        var expected = _columns.ToDictionary(c => c.Field.Name, c => Enumerable.Range(0, Rows).Select(r => Canonical.Ours(c, r)).ToList());
        expected["emb_fixed"] = expected["embedding"];
        TestFiles.AssertSameCells(expected, TestFiles.DuckCells(read, expected.Keys), variant);
        Assert.That(read.Types[read.Columns.ToList().IndexOf("embedding")], Is.EqualTo("FLOAT[]"));
        Assert.That(read.Types[read.Columns.ToList().IndexOf("top_k")], Is.EqualTo("VARCHAR[]"));
    }

    [TestCaseSource(nameof(Variants))]
    public void WeReadOurOwnFileBackExactly(string variant, ParquetWriterOptions options)
    {
        var expected = _columns.ToDictionary(c => c.Field.Name, c => Enumerable.Range(0, Rows).Select(r => Canonical.Ours(c, r)).ToList());
        TestFiles.AssertSameCells(expected, TestFiles.OurCells(_temp.File($"{variant}.parquet")), variant);
        using var reader = ParquetFileReader.Open(_temp.File($"{variant}.parquet"));
        Assert.That(reader.RowGroupCount, Is.EqualTo((Rows + options.RowGroupSize - 1) / options.RowGroupSize));
        var embedding = reader.RowGroups().SelectMany(g => g.ReadFixedSizeList<float>("embedding", out _)).ToArray();
        Assert.That(embedding, Is.EqualTo(_columns[9].GetValues<float>()));
    }

    [TestCaseSource(nameof(Variants))]
    public void KeyValueMetadataSurvivesInDuckDb(string variant, ParquetWriterOptions options)
    {
        var rows = _duck[variant][1].Rows.Select(r => (r.GetProperty("k").GetString(), r.GetProperty("v").GetString())).ToList();
        Assert.That(rows, Is.EqualTo(new[] { ("fingerprint", "{\"model\":\"mobilenet\",\"dim\":8}"), ("variant", variant) }));
    }

    [TestCaseSource(nameof(Variants))]
    public void StatisticsAgreeWithTheDataAsDuckDbSeesThem(string variant, ParquetWriterOptions options)
    {
        var statistics = _duck[variant][2].Rows;
        var groups = (Rows + options.RowGroupSize - 1) / options.RowGroupSize;
        Assert.That(statistics, Has.Count.EqualTo(4 * groups));
        foreach (var row in statistics)
        {
            var column = row.GetProperty("p").GetString()!;
            var group = int.Parse(row.GetProperty("g").GetString()!, CultureInfo.InvariantCulture);
            var data = _columns.Single(c => c.Field.Name == column);
            var first = group * options.RowGroupSize;
            var slots = Enumerable.Range(first, Math.Min(options.RowGroupSize, Rows - first)).ToList();
            var present = slots.Where(s => !data.IsValueNull(s)).ToList();
            Assert.That(long.Parse(row.GetProperty("nulls").GetString()!, CultureInfo.InvariantCulture), Is.EqualTo(slots.Count - present.Count), $"{column} nulls");
            var (lo, hi) = data.Values switch
            {
                int[] v => (present.Min(s => v[s]).ToString(CultureInfo.InvariantCulture), present.Max(s => v[s]).ToString(CultureInfo.InvariantCulture)),
                long[] v => (present.Min(s => v[s]).ToString(CultureInfo.InvariantCulture), present.Max(s => v[s]).ToString(CultureInfo.InvariantCulture)),
                string[] v => (present.Select(s => v[s]).Min(StringComparer.Ordinal)!, present.Select(s => v[s]).Max(StringComparer.Ordinal)!),
                _ => throw new InvalidOperationException(),
            };
            Assert.That((row.GetProperty("lo").GetString(), row.GetProperty("hi").GetString()), Is.EqualTo((lo, hi)), $"{column} bounds in row group {group}");
        }
        // DuckDB prunes row groups with these statistics; a wrong bound would lose rows here.
        var positive = _columns[2].GetValues<int>().Where((v, i) => !_columns[2].IsValueNull(i) && v > 0).Count();
        Assert.That(_duck[variant][3].Rows[0].GetProperty("n").GetString(), Is.EqualTo(positive.ToString(CultureInfo.InvariantCulture)));
    }
}
