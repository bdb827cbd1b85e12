using OnnxTransfer.Cli.DemoData;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests.DemoData;

/// <summary>
/// fetch-demo-data's downloads against a real HTTP server on 127.0.0.1 that each test starts: the pinned model and the
/// hymenoptera zip made from the shared folder. (The public URLs themselves cannot be reached from these machines; they
/// are exercised only through ONNXTRANSFER_DATA_MIRROR, which is what these tests set.)
/// </summary>
public class FetchDemoDataTests
{
    private static byte[] Model => File.ReadAllBytes(SharedData.MobileNetV2Int8Model);

    private static (DemoDataSet Data, List<string> Lines) DataSet(string root, HttpClient http)
    {
        var lines = new List<string>();
        void Progress(string line) { lock (lines) lines.Add(line); }
        return (new DemoDataSet(root, new ResumableDownload(http, Progress) { RetryPause = TimeSpan.Zero }, Progress), lines);
    }

    [Test]
    public void BothFilesComeFromTheMirrorUrlAndEveryImageMatchesTheCommittedList()
    {
        using var server = new LoopbackFileServer(new() { [DemoMirror.ModelFile] = Model, [DemoMirror.ZipFile] = DemoMirror.HymenopteraZip(extraEntry: "hymenoptera_data/README.txt") });
        using var root = new TempDirectory("fetch-demo-data");
        using var http = new HttpClient();
        var (data, lines) = DataSet(root.Path, http);

        data.Fetch(server.BaseUrl, CancellationToken.None);

        Assert.That(FileHash.Sha256(data.ModelPath), Is.EqualTo(SharedData.MobileNetV2Sha256));
        var images = Directory.GetFiles(data.ImagesPath, "*", SearchOption.AllDirectories);
        Assert.That(images, Has.Length.EqualTo(398));
        foreach (var image in images)
        {
            var relative = Path.GetRelativePath(data.ImagesPath, image);
            Assert.That(File.ReadAllBytes(image), Is.EqualTo(File.ReadAllBytes(Path.Combine(SharedData.Hymenoptera, relative))), relative);
        }
        Assert.That(server.Requests, Is.EqualTo(new[] { $"GET /{DemoMirror.ModelFile} whole", $"GET /{DemoMirror.ZipFile} whole" }));
        Assert.That(lines, Has.Some.Contains("398 files unpacked").And.Some.Contains("1 entries not on the list left out"));
        Assert.That(lines, Has.Some.Contains("(100 %)"), "a progress line");
        Assert.That(Directory.GetFiles(root.Path, "*.partial", SearchOption.AllDirectories), Is.Empty);
        Assert.That(Directory.Exists(Path.Combine(root.Path, "downloads")) ? Directory.GetFiles(Path.Combine(root.Path, "downloads")) : [], Is.Empty,
            "the zip is removed once unpacked");

        // A rerun finds everything verified in place and asks the server for nothing.
        var (again, againLines) = DataSet(root.Path, http);
        again.Fetch(server.BaseUrl, CancellationToken.None);
        Assert.That(server.Requests, Has.Count.EqualTo(2));
        Assert.That(againLines, Is.EqualTo(new[] { $"model present and verified: {data.ModelPath}", $"images present and verified: {data.ImagesPath}" }));
    }

    [Test]
    public void WrongChecksumIsRefusedAndTheFileRemoved()
    {
        var tampered = Model;
        tampered[tampered.Length / 2] ^= 0x01;
        using var server = new LoopbackFileServer(new() { [DemoMirror.ModelFile] = tampered });
        using var root = new TempDirectory("fetch-demo-data-bad");
        using var http = new HttpClient();
        var (data, _) = DataSet(root.Path, http);

        var error = Assert.Throws<DemoDataException>(() => data.Fetch(server.BaseUrl, CancellationToken.None));
        Assert.That(error!.Message, Does.Contain($"is not the pinned {SharedData.MobileNetV2Sha256}").And.Contain("the file was removed"));
        Assert.That(File.Exists(data.ModelPath), Is.False);
        Assert.That(File.Exists(data.ModelPath + ".partial"), Is.False);
    }

    [Test]
    public void BrokenConnectionsAreResumedWithRangeRequestsAndTheFileCompletes()
    {
        const int cut = 1 << 20;
        using var server = new LoopbackFileServer(new() { [DemoMirror.ModelFile] = Model }, dropFirstRequestsAfterBytes: cut, drops: 2);
        using var root = new TempDirectory("fetch-demo-data-resume");
        using var http = new HttpClient();
        var (data, lines) = DataSet(root.Path, http);
        var download = new ResumableDownload(http, line => lines.Add(line)) { RetryPause = TimeSpan.Zero };

        download.Fetch(DemoDataSet.Model.Resolve(server.BaseUrl), data.ModelPath, DemoDataSet.ModelSha256, CancellationToken.None);

        Assert.That(FileHash.Sha256(data.ModelPath), Is.EqualTo(SharedData.MobileNetV2Sha256));
        Assert.That(server.Requests, Is.EqualTo(new[]
        {
            $"GET /{DemoMirror.ModelFile} whole", $"GET /{DemoMirror.ModelFile} bytes={cut}-", $"GET /{DemoMirror.ModelFile} bytes={2 * cut}-",
        }));
        Assert.That(lines, Has.Some.Contains("connection broken after 1.0 MiB").And.Some.Contains("resuming at 2.0 MiB"));
    }

    [Test]
    public void APartialFileLeftByAKilledRunIsContinued()
    {
        using var server = new LoopbackFileServer(new() { [DemoMirror.ModelFile] = Model });
        using var root = new TempDirectory("fetch-demo-data-partial");
        using var http = new HttpClient();
        var (data, _) = DataSet(root.Path, http);
        Directory.CreateDirectory(Path.GetDirectoryName(data.ModelPath)!);
        File.WriteAllBytes(data.ModelPath + ".partial", Model[..123_456]);

        new ResumableDownload(http, _ => { }).Fetch(DemoDataSet.Model.Resolve(server.BaseUrl + "/"), data.ModelPath, DemoDataSet.ModelSha256,
            CancellationToken.None); // the mirror URL with or without a trailing slash
        Assert.That(FileHash.Sha256(data.ModelPath), Is.EqualTo(SharedData.MobileNetV2Sha256));
        Assert.That(server.Requests.First(), Is.EqualTo($"GET /{DemoMirror.ModelFile} bytes=123456-"));
    }

    [Test]
    public void AMirrorFolderServesBothAndAZipWithOtherBytesIsRefusedWholly()
    {
        using var mirror = new TempDirectory("fetch-demo-mirror");
        DemoMirror.WriteTo(mirror.Path);
        using var root = new TempDirectory("fetch-demo-data-folder");
        using var http = new HttpClient();
        var (data, _) = DataSet(root.Path, http);
        data.Fetch(mirror.Path, CancellationToken.None);
        Assert.That(HymenopteraArchive.IsComplete(data.ImagesPath));
        Assert.That(FileHash.Sha256(data.ModelPath), Is.EqualTo(SharedData.MobileNetV2Sha256));

        // One image changed: nothing is unpacked, the earlier copy is untouched and the bad zip is not kept.
        File.WriteAllBytes(Path.Combine(mirror.Path, DemoMirror.ZipFile),
            DemoMirror.HymenopteraZip((path, bytes) => path == "val/bees/10870992_eebeeb3a12.jpg" ? bytes[..^1] : bytes));
        using var other = new TempDirectory("fetch-demo-data-folder-bad");
        var (bad, _) = DataSet(other.Path, http);
        var error = Assert.Throws<DemoDataException>(() => bad.Fetch(mirror.Path, CancellationToken.None));
        Assert.That(error!.Message, Does.Contain("hymenoptera_data/val/bees/10870992_eebeeb3a12.jpg has sha256"));
        Assert.That(Directory.Exists(bad.ImagesPath), Is.False);
        Assert.That(Directory.GetFiles(other.Path, "*.zip*", SearchOption.AllDirectories), Is.Empty);

        // One image missing: refused, naming it.
        File.WriteAllBytes(Path.Combine(mirror.Path, DemoMirror.ZipFile),
            DemoMirror.HymenopteraZip((path, bytes) => path == "train/ants/formica.jpeg" ? null : bytes));
        var missing = Assert.Throws<DemoDataException>(() => bad.Fetch(mirror.Path, CancellationToken.None));
        Assert.That(missing!.Message, Does.Contain("lacks 1 of the 398 listed files (first: train/ants/formica.jpeg)"));

        // A mirror folder without the files says what it must hold.
        using var empty = new TempDirectory("fetch-demo-mirror-empty");
        using var third = new TempDirectory("fetch-demo-data-none");
        var (none, _) = DataSet(third.Path, http);
        var absent = Assert.Throws<DemoDataException>(() => none.Fetch(empty.Path, CancellationToken.None));
        Assert.That(absent!.Message, Does.Contain($"ONNXTRANSFER_DATA_MIRROR folder must hold {DemoMirror.ModelFile}"));
    }

    [Test]
    public void ThePublicSourcesArePinned()
    {
        // Only what the issue names may ever be downloaded; a mirror replaces the host, never the file.
        Assert.That(DemoDataSet.Model.Resolve(null), Is.EqualTo(
            "https://raw.githubusercontent.com/kaysono0/EdgeFlow/b12c6d7ac4a95f659a768a123c73469b450e8aef/models/mobilenetv2_int8_static.onnx"));
        Assert.That(DemoDataSet.Images.Resolve(""), Is.EqualTo("https://download.pytorch.org/tutorial/hymenoptera_data.zip"));
        Assert.That(DemoDataSet.ModelSha256, Is.EqualTo(SharedData.MobileNetV2Sha256));
        Assert.That(DemoDataSet.Images.Resolve("http://127.0.0.1:8080/m"), Is.EqualTo("http://127.0.0.1:8080/m/hymenoptera_data.zip"));
        Assert.That(HymenopteraArchive.Expected, Has.Count.EqualTo(398));
    }
}
