using OnnxTransfer.Bench;
using OnnxTransfer.Bench.Suites;

// One suite per invocation (tools/bench/run.sh starts a fresh process for every measurement, ours and the peers').
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: onnxtransfer-bench <suite> [--options]; suites: " + string.Join(", ", Suites.Names));
    return 1;
}
var options = new Arguments(args[1..]);
return Suites.Run(args[0], options);
