using System.CommandLine;
using OnnxTransfer.Cli.DemoData;
using OnnxTransfer.Cli.Infrastructure;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer fetch-demo-data</c>: the demo's model and images for machines without the shared folder, into
/// <c>$ONNXTRANSFER_HOME</c> (default ~/.local/share/onnxtransfer) in the shared folder's layout. Resumable, verified by
/// sha256, with progress lines on stderr; ONNXTRANSFER_DATA_MIRROR (a base URL or a folder) replaces the public sources.
/// </summary>
public static class FetchDemoDataCommand
{
    private static readonly Option<string?> To = new("--to")
    {
        Description = "Folder to put models/ and datasets/ in (default: $ONNXTRANSFER_HOME, else ~/.local/share/onnxtransfer).",
    };

    public static Command Create()
    {
        var command = new Command("fetch-demo-data",
            "Download the demo's MobileNetV2-int8 model (GitHub kaysono0/EdgeFlow at a pinned commit, sha256-checked) and the " +
            "PyTorch tutorial's hymenoptera_data.zip (each of its 398 images sha256-checked) for machines without the shared " +
            $"folder. Resumable. {DataSource.MirrorVariable}=URL-or-folder fetches both from a mirror instead. Prints the folder.") { To };
        command.SetHandler((parseResult, token) =>
        {
            var root = parseResult.GetValue(To) ?? DemoDataSet.DefaultRoot;
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
            void Progress(string line) => Console.Error.WriteLine($"[fetch] {line}");
            var data = new DemoDataSet(root, new ResumableDownload(http, Progress), Progress);
            data.Fetch(Environment.GetEnvironmentVariable(DataSource.MirrorVariable), token);
            Console.WriteLine(data.Root);
            return ExitCodes.Success;
        });
        return command;
    }
}
