namespace OnnxTransfer.Parquet.Tests;

/// <summary>Reading whole files into canonical cells for comparisons.</summary>
internal static class TestFiles
{
    /// <summary>Every readable column (or those named) of every row group, as canonical cells in file order.</summary>
    public static Dictionary<string, List<string>> OurCells(string path, IEnumerable<string>? columns = null, ParquetReaderOptions? options = null)
    {
        using var reader = ParquetFileReader.Open(path, options);
        var names = (columns ?? reader.Schema.Fields.Select(f => f.Name)).ToList();
        var cells = names.ToDictionary(n => n, _ => new List<string>());
        foreach (var group in reader.RowGroups())
            foreach (var name in names)
            {
                var data = group.ReadColumn(name);
                Assert.That(data.RowCount, Is.EqualTo(group.RowCount), $"{name} rows in row group {group.Index}");
                for (var row = 0; row < data.RowCount; row++) cells[name].Add(Canonical.Ours(data, row));
            }
        return cells;
    }

    public static Dictionary<string, List<string>> DuckCells(DuckDb.Result result, IEnumerable<string> columns) =>
        columns.ToDictionary(name => name, name =>
        {
            var index = result.Columns.ToList().IndexOf(name);
            Assert.That(index, Is.GreaterThanOrEqualTo(0), $"DuckDB result lacks column {name}");
            return result.Rows.Select(row => Canonical.DuckDb(row.GetProperty(name), result.Types[index])).ToList();
        });

    public static void AssertSameCells(Dictionary<string, List<string>> expected, Dictionary<string, List<string>> actual, string what)
    {
        foreach (var (name, cells) in expected)
        {
            Assert.That(actual.ContainsKey(name), $"{what}: column {name} missing");
            var other = actual[name];
            Assert.That(other, Has.Count.EqualTo(cells.Count), $"{what}: {name} row count");
            var differences = Enumerable.Range(0, cells.Count).Where(i => cells[i] != other[i]).Take(5)
                .Select(i => $"row {i}: expected {cells[i]}, got {other[i]}").ToList();
            Assert.That(differences, Is.Empty, $"{what}: column {name} differs");
        }
    }
}
