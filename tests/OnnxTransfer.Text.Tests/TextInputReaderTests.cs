using System.Text;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Text.Encoder;
using OnnxTransfer.Text.Input;

namespace OnnxTransfer.Text.Tests;

[TestFixture]
public sealed class TextInputReaderTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Test]
    public void Sst2_WithLabelPrefix_ReadsEveryLineWithItsLabel()
    {
        var records = TextInputReader.Read(SharedData.Sst2Train, new TextInputOptions { LabelPrefix = true }).ToList();
        var lines = File.ReadAllLines(SharedData.Sst2Train);

        Assert.That(records, Has.Count.EqualTo(6920));
        Assert.That(records.Where(r => r.IsError).Select(r => $"{r.Line}: {r.Error}"), Is.Empty);
        Assert.That(records.Select(r => r.Label).Distinct().Order(), Is.EqualTo(new[] { "0", "1" }));
        for (var i = 0; i < lines.Length; i++)
        {
            Assert.That(records[i].Id, Is.EqualTo((i + 1).ToString()));
            Assert.That(records[i].Line, Is.EqualTo(i + 1));
            Assert.That(records[i].Label + " " + records[i].Text, Is.EqualTo(lines[i]));
            Assert.That(records[i].Source, Is.EqualTo(SharedData.Sst2Train));
        }
    }

    [Test]
    public void Txt_EmptyLinesInvalidUtf8AndMissingLabels_BecomeErrorRecordsInPlace()
    {
        using var dir = new TempDirectory();
        var path = dir.File("texts.txt");
        var bytes = new List<byte>();
        bytes.AddRange([0xEF, 0xBB, 0xBF]); // BOM
        bytes.AddRange(Utf8("1 good one\r\n"));
        bytes.AddRange(Utf8("\n"));
        bytes.AddRange(Utf8("0 caf"));
        bytes.AddRange([0xC3, 0x28]); // invalid continuation byte
        bytes.AddRange(Utf8("\n"));
        bytes.AddRange(Utf8("nolabel\n"));
        bytes.AddRange(Utf8("1    \n"));
        bytes.AddRange(Utf8("0\tlast one without newline"));
        File.WriteAllBytes(path, [.. bytes]);

        var records = TextInputReader.Read(path, new TextInputOptions { LabelPrefix = true }).ToList();

        Assert.That(records.Select(r => r.Line), Is.EqualTo(new long[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(records[0], Has.Property(nameof(TextRecord.Text)).EqualTo("good one").And.Property(nameof(TextRecord.Label)).EqualTo("1"));
        Assert.That(records[1].Error, Is.EqualTo("empty line"));
        Assert.That(records[2].Error, Does.Contain("invalid UTF-8 at byte 5"));
        Assert.That(records[2].Text, Is.Null);
        Assert.That(records[3].Error, Does.StartWith("no label"));
        Assert.That(records[4].Error, Does.Contain("only whitespace"));
        Assert.That(records.Select(r => r.ErrorCode), Is.EqualTo(new[] { null, "empty-text", "invalid-utf8", "bad-record", "empty-text", null }));
        Assert.That(records[5], Has.Property(nameof(TextRecord.Text)).EqualTo("last one without newline").And.Property(nameof(TextRecord.Label)).EqualTo("0"));
    }

    [Test]
    public void Csv_QuotedFieldsWithNewlinesCommasAndQuotes_AndBadRecords()
    {
        using var dir = new TempDirectory();
        var path = dir.File("data.csv");
        var bytes = new List<byte>(Utf8(
            "id,text,label,split\r\n" +
            "a1,\"first, with comma\",pos,train\r\n" +
            "a2,\"two\nlines and \"\"quotes\"\"\",neg,val\r\n" +
            "a3,,pos,train\r\n" +
            "\r\n" +
            "a4,too,many,fields,here\r\n" +
            "a5,\"caf"));
        bytes.AddRange([0xE9]); // Latin-1 é: not UTF-8
        bytes.AddRange(Utf8("\",neg,test\r\n,no id,pos,\n"));
        bytes.AddRange(Utf8("a7,\"never closed,pos,train\n"));
        File.WriteAllBytes(path, [.. bytes]);

        var records = TextInputReader.Read(path).ToList();

        Assert.That(records, Has.Count.EqualTo(7));
        Assert.That(records[0], Has.Property(nameof(TextRecord.Id)).EqualTo("a1").And.Property(nameof(TextRecord.Text)).EqualTo("first, with comma")
            .And.Property(nameof(TextRecord.Label)).EqualTo("pos").And.Property(nameof(TextRecord.Split)).EqualTo("train"));
        Assert.That(records[1].Text, Is.EqualTo("two\nlines and \"quotes\""));
        Assert.That(records[1].Line, Is.EqualTo(3));
        Assert.That(records[2], Has.Property(nameof(TextRecord.Id)).EqualTo("a3").And.Property(nameof(TextRecord.Error)).EqualTo("empty text"));
        Assert.That(records[3].Error, Does.Contain("5 fields but the header has 4"));
        Assert.That(records[3].Line, Is.EqualTo(7));
        Assert.That(records[4].Error, Does.Contain("invalid UTF-8").And.Contain("column 'text'"));
        Assert.That(records[5], Has.Property(nameof(TextRecord.Id)).EqualTo("9").And.Property(nameof(TextRecord.Text)).EqualTo("no id")
            .And.Property(nameof(TextRecord.Split)).Null, "no id: the line number; empty split: none");
        Assert.That(records[6].Error, Does.Contain("never closed"));
    }

    [Test]
    public void Tsv_WithoutHeader_NamesColumnsByNumber()
    {
        using var dir = new TempDirectory();
        var path = dir.File("data.tsv");
        File.WriteAllText(path, "pos\tgreat film\nneg\t\"quoted\tcell\"\n");
        var records = TextInputReader.Read(path, new TextInputOptions { HasHeader = false, TextField = "1", LabelField = "0", IdField = null }).ToList();
        Assert.That(records.Select(r => (r.Id, r.Label, r.Text)), Is.EqualTo(new[] { ("1", "pos", "great film"), ("2", "neg", "quoted\tcell") }));
    }

    [Test]
    public void Csv_WithoutTheTextColumn_IsRefusedUpFront()
    {
        using var dir = new TempDirectory();
        var path = dir.File("data.csv");
        File.WriteAllText(path, "sentence,label\nhello,1\n");
        var e = Assert.Throws<TextInputException>(() => TextInputReader.Read(path).ToList());
        Assert.That(e!.Message, Does.Contain("no column 'text'").And.Contain("sentence, label"));
        Assert.That(TextInputReader.Read(path, new TextInputOptions { TextField = "sentence" }).Single().Text, Is.EqualTo("hello"));
    }

    [Test]
    public void Jsonl_FieldsOfEveryKind_AndBadLines()
    {
        using var dir = new TempDirectory();
        var path = dir.File("data.jsonl");
        var bytes = new List<byte>(Utf8(
            "{\"id\": \"x1\", \"text\": \"Caf\\u00e9 \\\"quoted\\\"\\nnext line\", \"label\": 1, \"split\": \"train\"}\n" +
            "{\"id\": 42, \"text\": \"\", \"label\": \"neg\"}\n" +
            "\n" +
            "{\"text\": 5}\n" +
            "[1, 2]\n" +
            "{\"text\": \"unterminated\n" +
            "{\"text\": \"bad "));
        bytes.AddRange([0xFF, 0xFE]);
        bytes.AddRange(Utf8("\"}\n{\"text\": \"ok\", \"label\": true}"));
        File.WriteAllBytes(path, [.. bytes]);

        var records = TextInputReader.Read(path).ToList();

        Assert.That(records, Has.Count.EqualTo(7), "the blank line is not a record");
        Assert.That(records[0], Has.Property(nameof(TextRecord.Id)).EqualTo("x1").And.Property(nameof(TextRecord.Text)).EqualTo("Café \"quoted\"\nnext line")
            .And.Property(nameof(TextRecord.Label)).EqualTo("1").And.Property(nameof(TextRecord.Split)).EqualTo("train"));
        Assert.That(records[1], Has.Property(nameof(TextRecord.Id)).EqualTo("42").And.Property(nameof(TextRecord.Error)).EqualTo("empty text")
            .And.Property(nameof(TextRecord.Label)).EqualTo("neg"));
        Assert.That(records[2].Error, Does.Contain("\"text\" is missing or not a string"));
        Assert.That(records[2].Line, Is.EqualTo(4));
        Assert.That(records[3].Error, Does.Contain("not an object"));
        Assert.That(records[4].Error, Does.StartWith("not valid JSON"));
        Assert.That(records[5].Error, Does.Contain("invalid UTF-8 at byte 14"));
        Assert.That(records[6], Has.Property(nameof(TextRecord.Text)).EqualTo("ok").And.Property(nameof(TextRecord.Label)).EqualTo("true"));
    }

    [Test]
    public void OverLongTexts_AreCutAndFlagged_OrRefused()
    {
        using var dir = new TempDirectory();
        var path = dir.File("long.txt");
        File.WriteAllText(path, new string('a', 9) + "😀" + "tail\nshort\n");
        var cut = TextInputReader.Read(path, new TextInputOptions { MaxTextLength = 10 }).ToList();
        Assert.That(cut[0], Has.Property(nameof(TextRecord.Text)).EqualTo(new string('a', 9)).And.Property(nameof(TextRecord.IsTruncated)).True,
            "a surrogate pair is never split");
        Assert.That(cut[1].IsTruncated, Is.False);

        var refused = TextInputReader.Read(path, new TextInputOptions { MaxTextLength = 10, OverLength = OverLengthPolicy.Refuse }).ToList();
        Assert.That(refused[0].Error, Does.Contain("longer than 10"));
        Assert.That(refused[1].Text, Is.EqualTo("short"));
    }

    [Test]
    public void MissingFilesAndUnknownExtensions_AreRefused()
    {
        Assert.That(() => TextInputReader.Read("/nonexistent/input.txt"), Throws.TypeOf<TextInputException>().With.Message.Contains("does not exist"));
        using var dir = new TempDirectory();
        var path = dir.File("data.xml");
        File.WriteAllText(path, "<x/>");
        Assert.That(() => TextInputReader.Read(path), Throws.TypeOf<TextInputException>().With.Message.Contains(".jsonl"));
        Assert.That(TextInputReader.Read(path, new TextInputOptions { Format = TextInputFormat.Txt }).Single().Text, Is.EqualTo("<x/>"));
    }
}
