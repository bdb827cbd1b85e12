namespace OnnxTransfer.Bench.Suites;

public static class Suites
{
    private static readonly Dictionary<string, Action<Arguments>> All = new()
    {
        ["runtime"] = RuntimeLatency.Run,
        ["parquet-write"] = ParquetEmbeddings.Write,
        ["parquet-read"] = ParquetEmbeddings.Read,
        ["extract"] = ExtractStages.Run,
        ["preprocess"] = PreprocessStages.Run,
        ["train"] = TrainSpeed.Run,
        ["train-data"] = TrainSpeed.MakeData,
        ["neighbours"] = NeighbourSearch.Run,
        ["fewshot"] = FewShotAccuracy.Curve,
        ["labelling"] = FewShotAccuracy.Labelling,
        ["inference"] = InferenceLatency.Run,
        ["score"] = ScoreThroughput.Run,
        ["tokenize"] = TextTokenizer.Run,
        ["text-extract"] = TextExtraction.Run,
    };

    public static IEnumerable<string> Names => All.Keys;

    public static int Run(string name, Arguments options)
    {
        if (!All.TryGetValue(name, out var suite))
        {
            Console.Error.WriteLine($"unknown suite '{name}'; suites: {string.Join(", ", Names)}");
            return 1;
        }
        suite(options);
        return 0;
    }
}
