using System.CommandLine;
using System.Text.Json.Serialization;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Cli.Json;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer backbone init MODEL --out SPEC</c> writes a backbone spec (located feature tensor, input from the
/// model, ImageNet preprocessing scaled to the input size); <c>onnxtransfer backbone check SPEC</c> loads a spec the way
/// extraction does and reports what it found, so a bad spec is caught before a long run.
/// </summary>
public static class BackboneCommand
{
    public static Command Create()
    {
        var command = new Command("backbone", "Write and check backbone specs (which model, how to feed it, which tensor holds the features).");
        command.Subcommands.Add(CreateInit());
        command.Subcommands.Add(CreateCheck());
        return command;
    }

    private static Command CreateInit()
    {
        var model = new Argument<string>("model") { Description = "The .onnx image classifier." };
        var output = new Option<string>("--out") { Description = "Where to write the spec (e.g. resnet50.backbone.json).", Required = true };
        var name = new Option<string?>("--name") { Description = "The backbone's name (default: from the model's file name)." };
        var tensor = new Option<string?>("--feature-tensor") { Description = "The feature tensor (default: located, the input of the classifier layer)." };
        var input = new Option<string?>("--input") { Description = "The image input (needed when the model has several inputs)." };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing spec file." };
        var command = new Command("init", "Write a backbone spec for an ONNX image classifier.") { model, output, name, tensor, input, force };
        command.SetHandler((parseResult, _) =>
        {
            var specPath = Path.GetFullPath(parseResult.GetValue(output)!);
            if (File.Exists(specPath) && !parseResult.GetValue(force))
                throw new CliException($"'{specPath}' exists; pass --force to overwrite it.");
            var built = BackboneSpecBuilder.FromModel(parseResult.GetValue(model)!, specPath, parseResult.GetValue(name),
                parseResult.GetValue(tensor), parseResult.GetValue(input));
            BackboneSpecFile.Save(built.Spec, specPath);
            var spec = built.Spec;
            Console.WriteLine($"wrote      {specPath}");
            Console.WriteLine($"model      {spec.ModelPath} (sha256 {spec.ModelSha256})");
            Console.WriteLine($"input      {spec.DescribeImageInput(spec.InputName)}");
            Console.WriteLine($"features   {spec.Features.Tensor}, pooling {SpecNames.Of(spec.Features.Pooling)}" +
                              (built.LocatedExplanation is { } why ? $" — {why}" : ""));
            Console.WriteLine($"preprocess {spec.DescribeImagePreprocessing()}, ImageNet mean/std " +
                              "(edit the spec if the model was trained otherwise)");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateCheck()
    {
        var specArgument = new Argument<string>("spec") { Description = "The *.backbone.json file." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var device = new DeviceOptions();
        var command = new Command("check", "Load a spec as extraction would (model sha256, input, feature tensor) and show the result.") { specArgument, json };
        device.AddTo(command);
        command.SetHandler((parseResult, _) =>
        {
            var spec = BackboneSpecFile.Load(parseResult.GetValue(specArgument)!);
            using var backbone = ImageBackbone.Load(spec, device.ToRunOptions(parseResult));
            if (parseResult.GetValue(json)) WriteJson(backbone);
            else
            {
                Console.WriteLine($"backbone   {spec.Name} ({SpecNames.Of(spec.Kind)})");
                Console.WriteLine($"model      {backbone.ModelPath}");
                Console.WriteLine($"sha256     {backbone.ModelSha256} ({(spec.ModelSha256 is null ? "not pinned by the spec" : "matches the spec")})");
                Console.WriteLine($"input      {spec.DescribeImageInput(backbone.InputName)}" +
                                  (backbone.FixedBatchSize is { } b ? $", batch fixed to {b}" : ""));
                Console.WriteLine($"features   {backbone.FeatureTensor} → {backbone.Dimension} floats (pooling {SpecNames.Of(spec.Features.Pooling)}, " +
                                  $"L2 {(spec.Features.L2Normalize ? "on" : "off")})");
                if (backbone.FeatureExplanation is { } why) Console.WriteLine($"           {why}");
                Console.WriteLine($"providers  {string.Join(", ", backbone.ActiveProviders)}");
                Console.WriteLine($"fingerprint {backbone.Fingerprint.Sha256}");
                Console.WriteLine($"           {backbone.Fingerprint.Json}");
                foreach (var note in backbone.Notes) Console.WriteLine($"note       {note}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteJson(ImageBackbone backbone) => CliJson.Print(new BackboneJson(backbone.Spec.Name, backbone.ModelPath,
        backbone.ModelSha256, backbone.Spec.ModelSha256 is not null, backbone.InputName, backbone.FeatureTensor, backbone.Dimension,
        backbone.FixedBatchSize, backbone.ActiveProviders, backbone.Fingerprint.Sha256, new RawJson(backbone.Fingerprint.Json)), CliJson.Default.BackboneJson);

    /// <summary><c>backbone check --json</c>; the fixed batch size is left out when the model has none.</summary>
    internal sealed record BackboneJson(string Name, string Model, string ModelSha256, bool Sha256Pinned, string Input, string FeatureTensor, int Dim,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? FixedBatch, IReadOnlyList<string> Providers,
        string FingerprintSha256, RawJson Fingerprint);
}
