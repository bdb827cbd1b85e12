using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Parquet;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>Inputs from ImageFolder layouts and manifests (CSV, TSV, JSONL, Parquet).</summary>
public class InputSetTests
{
    [Test]
    public void SplitAndLabelFoldersGiveIdsSplitsAndLabels()
    {
        var set = InputSet.Open(SharedData.Hymenoptera);
        Assert.That(set.Layout, Is.EqualTo(FolderLayout.SplitAndLabelFolders));
        Assert.That(set.Count, Is.EqualTo(398));
        var first = set.Items[0];
        Assert.That(first.Id, Does.StartWith("train/ants/"));
        Assert.That((first.Split, first.Label, first.Source), Is.EqualTo(("train", "ants", Path.Combine(SharedData.Hymenoptera, first.Id))));
        Assert.That(set.Items.Select(i => i.Id), Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
    }

    [Test]
    public void LabelFoldersAndFlatFolders()
    {
        using var folder = new TempDirectory("features-inputs");
        Directory.CreateDirectory(folder.File("cats"));
        Directory.CreateDirectory(folder.File("dogs"));
        Directory.CreateDirectory(folder.File(".thumbnails"));
        File.WriteAllText(folder.File("cats/a.jpg"), "x");
        File.WriteAllText(folder.File("dogs/b.PNG"), "x");
        File.WriteAllText(folder.File("dogs/notes.txt"), "x");
        File.WriteAllText(folder.File("dogs/.hidden.jpg"), "x");
        File.WriteAllText(folder.File(".thumbnails/c.jpg"), "x");
        var set = InputSet.Open(folder.Path);
        Assert.That(set.Layout, Is.EqualTo(FolderLayout.LabelFolders));
        Assert.That(set.Items.Select(i => (i.Id, i.Label, i.Split)), Is.EqualTo(new[] { ("cats/a.jpg", "cats", (string?)null), ("dogs/b.PNG", "dogs", null) }));
        Assert.That(set.IgnoredFiles, Is.EqualTo(1));

        var flat = InputSet.Open(folder.File("cats"));
        Assert.That(flat.Layout, Is.EqualTo(FolderLayout.Flat));
        Assert.That(flat.Items.Single(), Is.EqualTo(new InputItem("a.jpg", folder.File("cats/a.jpg"), null, null)));
    }

    [Test]
    public void MixedDepthsAndEmptyFoldersAreRefused()
    {
        using var folder = new TempDirectory("features-inputs");
        Directory.CreateDirectory(folder.File("train/cats"));
        File.WriteAllText(folder.File("train/cats/a.jpg"), "x");
        File.WriteAllText(folder.File("b.jpg"), "x");
        var e = Assert.Throws<InputSourceException>(() => InputSet.Open(folder.Path));
        Assert.That(e!.Message, Does.Contain("different depths").And.Contain("'b.jpg'").And.Contain("'train/cats/a.jpg'").And.Contain("manifest"));

        using var empty = new TempDirectory("features-inputs");
        File.WriteAllText(empty.File("readme.md"), "x");
        Assert.That(() => InputSet.Open(empty.Path), Throws.TypeOf<InputSourceException>().With.Message.Contains("no image files"));
        Assert.That(() => InputSet.Open(empty.File("missing")), Throws.TypeOf<InputSourceException>().With.Message.Contains("No folder or manifest"));
    }

    [Test]
    public void CsvManifestWithQuotingRelativePathsAndBadRows()
    {
        using var folder = new TempDirectory("features-manifest");
        File.WriteAllText(folder.File("inputs.csv"),
            "\uFEFFpath,Label,split,id\r\n" +
            "images/a.jpg,cat,train,\r\n" +
            "\"images/with, comma.jpg\",\"dog \"\"big\"\"\",val,custom-id\r\n" +
            "/abs/b.jpg,,,\r\n" +
            ",cat,train,no-path\r\n" +
            "too,many,fields,here,x\r\n" +
            "\r\n");
        var set = InputSet.Open(folder.File("inputs.csv"));
        Assert.That(set.Layout, Is.EqualTo(FolderLayout.Manifest));
        var byId = set.Items.ToDictionary(i => i.Id);
        Assert.That(byId["images/a.jpg"], Is.EqualTo(new InputItem("images/a.jpg", folder.File("images/a.jpg"), "cat", "train")));
        Assert.That(byId["custom-id"], Is.EqualTo(new InputItem("custom-id", folder.File("images/with, comma.jpg"), "dog \"big\"", "val")));
        Assert.That(byId["/abs/b.jpg"], Is.EqualTo(new InputItem("/abs/b.jpg", "/abs/b.jpg", null, null)));
        Assert.That(byId["no-path"].Failure!.Code, Is.EqualTo(ManifestReader.BadRowCode));
        Assert.That(byId["inputs.csv:6"].Failure!.Message, Does.Contain("5 fields but the header has 4"));
        Assert.That(set.Count, Is.EqualTo(5));
    }

    [TestCase("utf-16le")]
    [TestCase("utf-16be")]
    [TestCase("utf-32le")]
    public void SpreadsheetUnicodeExportsReadLikeUtf8(string encodingName)
    {
        // Excel's "Unicode text" and PowerShell write UTF-16 with a byte-order mark; such a manifest reads as UTF-8 does.
        using var folder = new TempDirectory("features-manifest");
        const string content = "path,label\r\nimages/café.jpg,\"chat, noir\"\r\nb.jpg,dog\r\n";
        var encoding = encodingName switch
        {
            "utf-16le" => System.Text.Encoding.Unicode,
            "utf-16be" => System.Text.Encoding.BigEndianUnicode,
            _ => System.Text.Encoding.UTF32,
        };
        File.WriteAllText(folder.File("utf8.csv"), content);
        File.WriteAllText(folder.File("wide.csv"), content, encoding);
        Assert.That(File.ReadAllBytes(folder.File("wide.csv"))[..2], Is.Not.EqualTo("pa"u8.ToArray()), "the file really is wide");
        var wide = InputSet.Open(folder.File("wide.csv")).Items.Select(i => (i.Id, i.Label)).ToArray();
        Assert.That(wide, Is.EqualTo(InputSet.Open(folder.File("utf8.csv")).Items.Select(i => (i.Id, i.Label)).ToArray()));
        Assert.That(wide, Does.Contain(("images/café.jpg", (string?)"chat, noir")));
    }

    [Test]
    public void AManifestFromANamedPipeReadsLikeItsFile()
    {
        // A pipe (mkfifo, `--input <(…)`, /dev/stdin) cannot rewind after the byte-order-mark peek; it was refused with
        // "Stream does not support seeking".
        using var folder = new TempDirectory("features-manifest-pipe");
        const string content = "path,label\nimages/a.jpg,cat\nb.jpg,dog\n";
        File.WriteAllText(folder.File("file.csv"), content);
        var pipe = folder.File("pipe.csv");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [pipe])) mkfifo.WaitForExit();
        var writer = Task.Run(() => File.WriteAllText(pipe, content));
        var piped = InputSet.Open(pipe).Items.Select(i => (i.Id, i.Label)).ToArray();
        writer.Wait();
        Assert.That(piped, Is.EqualTo(InputSet.Open(folder.File("file.csv")).Items.Select(i => (i.Id, i.Label)).ToArray()));
    }

    [Test]
    public void JsonlAndTsvManifests()
    {
        using var folder = new TempDirectory("features-manifest");
        File.WriteAllText(folder.File("inputs.jsonl"), "{\"path\": \"a.jpg\", \"label\": 3, \"split\": \"test\"}\n\n{not json}\n[1]\n{\"path\": \"b.jpg\", \"id\": 7}\n");
        var set = InputSet.Open(folder.File("inputs.jsonl"));
        Assert.That(set.Items.Select(i => (i.Id, i.Label, i.Split, i.Failure?.Code)), Is.EqualTo(new[]
        {
            ("7", null, null, null), ("a.jpg", "3", "test", null), ("inputs.jsonl:3", null, null, ManifestReader.BadRowCode),
            ("inputs.jsonl:4", (string?)null, (string?)null, (string?)ManifestReader.BadRowCode),
        }));

        File.WriteAllText(folder.File("inputs.tsv"), "path\tlabel\na b.jpg\tx\n");
        Assert.That(InputSet.Open(folder.File("inputs.tsv")).Items.Single().Label, Is.EqualTo("x"));
    }

    [Test]
    public void ParquetManifest()
    {
        using var folder = new TempDirectory("features-manifest");
        var schema = new ParquetSchema(ParquetField.String("path", nullable: false), ParquetField.Int32("label"), ParquetField.String("split"));
        using (var writer = new ParquetFileWriter(folder.File("inputs.parquet"), schema))
        {
            var group = writer.BeginRowGroup(2);
            group.WriteStrings("path", ["x/a.jpg", "b.jpg"]);
            group.WriteValues<int>("label", [1, 0], [false, true]);
            group.WriteStrings("split", ["train", null]);
            group.Complete();
            writer.Complete();
        }
        var set = InputSet.Open(folder.File("inputs.parquet"));
        Assert.That(set.Items, Is.EqualTo(new[]
        {
            new InputItem("b.jpg", folder.File("b.jpg"), null, null), new InputItem("x/a.jpg", folder.File("x/a.jpg"), "1", "train"),
        }));
    }

    [Test]
    public void ManifestProblemsAreRefusedUpFront()
    {
        using var folder = new TempDirectory("features-manifest");
        File.WriteAllText(folder.File("nopath.csv"), "file,label\na.jpg,x\n");
        Assert.That(() => InputSet.Open(folder.File("nopath.csv")), Throws.TypeOf<InputSourceException>().With.Message.Contains("no \"path\" column"));
        File.WriteAllText(folder.File("dupes.csv"), "path,id\na.jpg,1\nb.jpg,1\nc.jpg,2\nd.jpg,2\n");
        Assert.That(() => InputSet.Open(folder.File("dupes.csv")),
            Throws.TypeOf<InputSourceException>().With.Message.Contains("2 id(s) more than once ('1', '2')"));
        File.WriteAllText(folder.File("inputs.xml"), "<x/>");
        Assert.That(() => InputSet.Open(folder.File("inputs.xml")), Throws.TypeOf<InputSourceException>().With.Message.Contains(".csv, .tsv, .jsonl or .parquet"));
        File.WriteAllText(folder.File("empty.csv"), "path\n");
        Assert.That(() => InputSet.Open(folder.File("empty.csv")), Throws.TypeOf<InputSourceException>().With.Message.Contains("lists no inputs"));
    }

    [Test]
    public void ManifestRowsThatCannotBeReadBecomeErrorRowsAndTheRunGoesOn()
    {
        using var folder = new TempDirectory("features-manifest");
        using var cache = new TempDirectory("features-manifest-cache");
        var ant = SharedData.ReferenceImage("ant_1053149811_f62a3410d3");
        File.WriteAllText(folder.File("inputs.csv"), $"path,label\n{ant},ant\nmissing.jpg,bee\n,bee\n");
        var summary = Extract.Run(folder.File("inputs.csv"), cache.Path);
        Assert.That((summary.Embedded, summary.Failed), Is.EqualTo((1, 2)));
        var errors = Extract.Errors(cache.Path).ToDictionary(e => e.Id);
        Assert.That(errors["missing.jpg"].Reason, Is.EqualTo("not-found"));
        Assert.That(errors["missing.jpg"].Label, Is.EqualTo("bee"));
        Assert.That(errors["inputs.csv:4"].Reason, Is.EqualTo(ManifestReader.BadRowCode));
        Assert.That(Extract.Read(cache.Path).Ids.Single(), Is.EqualTo(ant));
    }

    [Test]
    public void InvalidUtf8InAManifestFieldIsAnErrorRowNotAReplacementCharacter()
    {
        using var folder = new TempDirectory("features-manifest-utf8");
        using var cache = new TempDirectory("features-manifest-utf8-cache");
        var ant = SharedData.ReferenceImage("ant_1053149811_f62a3410d3");
        var bee = SharedData.ReferenceImage("bee_1032546534_06907fe3b3");
        // A label "b\xffe\xfes" once became a third class, a path with \xff a mangled not-found path.
        var csv = Bytes($"path,label\n{ant},ant\n{bee},b") .Concat(new byte[] { 0xFF, (byte)'e', 0xFE, (byte)'s', (byte)'\n' })
            .Concat(Bytes("bad")).Concat(new byte[] { 0xFF }).Concat(Bytes(".jpg,bee\n")).ToArray();
        File.WriteAllBytes(folder.File("inputs.csv"), csv);
        var jsonl = Bytes($"{{\"path\":\"{ant}\",\"label\":\"ant\"}}\n{{\"path\":\"{bee}\",\"label\":\"b").Concat(new byte[] { 0xFF })
            .Concat(Bytes("es\"}\n")).ToArray();
        File.WriteAllBytes(folder.File("inputs.jsonl"), jsonl);

        var rows = InputSet.Open(folder.File("inputs.csv")).Items;
        Assert.That(rows.Select(r => r.Failure?.Code), Is.EqualTo(new[] { null, "invalid-utf8", "invalid-utf8" }));
        Assert.That(rows.Select(r => r.Id).Skip(1), Is.EqualTo(new[] { "inputs.csv:3", "inputs.csv:4" }));
        Assert.That(rows[1].Failure!.Message, Does.Contain("inputs.csv:3").And.Contain("byte 1").And.Contain("label"));
        Assert.That(rows.Any(r => (r.Label ?? "").Contains('\uFFFD') || r.Source.Contains('\uFFFD')), Is.False);
        var lines = InputSet.Open(folder.File("inputs.jsonl")).Items;
        Assert.That(lines.Select(r => (r.Id, r.Failure?.Code)), Is.EqualTo(new[] { (ant, (string?)null), ("inputs.jsonl:2", "invalid-utf8") }));

        var summary = Extract.Run(folder.File("inputs.csv"), cache.Path);
        Assert.That((summary.Embedded, summary.Failed), Is.EqualTo((1, 2)));
        Assert.That(Extract.Errors(cache.Path).Select(e => e.Reason), Is.EqualTo(new[] { "invalid-utf8", "invalid-utf8" }));
        Assert.That(Extract.Read(cache.Path).Ids.Single(), Is.EqualTo(ant));
    }

    private static IEnumerable<byte> Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
