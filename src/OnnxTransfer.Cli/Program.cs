using System.CommandLine;

namespace OnnxTransfer.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("onnxtransfer: transfer learning with frozen ONNX backbones — extract embeddings once, " +
                                   "train heads in seconds, compose and score.");
        return root.Parse(args).Invoke();
    }
}
