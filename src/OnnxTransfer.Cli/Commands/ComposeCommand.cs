using System.CommandLine;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Composition;
using OnnxTransfer.Inference.Heads;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer compose --backbone SPEC --head head.onnx --out fused.onnx [--fold-normalization unit|byte] [--features]</c>:
/// one ONNX file with the backbone cut at its features, the spec's pooling and normalisation, and the head. It runs in
/// any ONNX Runtime; its metadata carries labels, preprocessing (for text: the tokenizer) and fingerprints.
/// </summary>
public static class ComposeCommand
{
    private static readonly Option<string> Backbone = new("--backbone") { Description = "Backbone spec (*.backbone.json).", Required = true };
    private static readonly Option<string> Head = new("--head") { Description = "The head (head.onnx from onnxtransfer train).", Required = true };
    private static readonly Option<string> Out = new("--out") { Description = "Where to write the fused model.", Required = true };
    private static readonly Option<string?> Fold = new("--fold-normalization")
    {
        Description = "Put the mean/std normalisation into the graph: callers feed pixels scaled 0-1 (unit) or 0-255 (byte).",
    };
    private static readonly Option<bool> Features = new("--features") { Description = "Also output the embedding as 'features' [N, D]." };
    private static readonly Option<string?> Tta = new("--tta")
    {
        Description = "Test-time augmentation in the graph: average the probabilities over the original and these views (hflip). Image backbones only.",
    };
    private static readonly Option<bool> AllowMismatch = new("--allow-fingerprint-mismatch") { Description = "Accept a head trained on another backbone fingerprint (warns)." };

    public static Command Create()
    {
        var command = new Command("compose", "Fuse a backbone and a trained head into one ONNX model (probabilities, label_index).")
        {
            Backbone, Head, Out, Fold, Features, Tta, AllowMismatch,
        };
        Fold.AcceptOnlyFromAmong("unit", "byte");
        PredictorLoading.ValidateViews(Tta);
        command.SetHandler((parseResult, _) => PredictorLoading.Translate(() => Execute(parseResult)));
        return command;
    }

    private static int Execute(ParseResult parseResult)
    {
        var spec = BackboneSpecFile.Load(parseResult.GetValue(Backbone)!);
        var head = HeadModel.Load(parseResult.GetValue(Head)!);
        if (spec.Kind == BackboneKind.Text) return ComposeText(parseResult, spec, head);
        using var backbone = ImageBackbone.Load(spec, new BackboneRunOptions { WarningSink = m => Console.Error.WriteLine($"warning: {m}") });
        var options = new ComposeOptions
        {
            FoldNormalization = parseResult.GetValue(Fold) switch { "unit" => InputScale.Unit, "byte" => InputScale.Byte, _ => null },
            IncludeFeatures = parseResult.GetValue(Features),
            TestTimeAugmentation = TestTimeAugmentation.Parse(parseResult.GetValue(Tta)),
            AllowFingerprintMismatch = parseResult.GetValue(AllowMismatch),
            WarningSink = m => Console.Error.WriteLine($"warning: {m}"),
        };
        var model = new FusedModelComposer(options).ComposeTo(parseResult.GetValue(Out)!, backbone, head);
        Console.WriteLine($"fused      {model.Path} ({model.Bytes / 1048576.0:F1} MiB)");
        Console.WriteLine($"backbone   {spec.Name}: cut at {backbone.FeatureTensor} ({backbone.Dimension} floats" +
                          $"{(spec.Features.Pooling == FeaturePooling.GlobalAverage ? ", global-average pooled" : "")}{(spec.Features.L2Normalize ? ", L2-normalised" : "")})");
        Console.WriteLine($"head       {head.Source}: {head.ClassCount} labels ({string.Join(", ", head.Labels.Take(5))}{(head.ClassCount > 5 ? ", …" : "")})");
        Console.WriteLine($"input      {backbone.InputName}: " + (options.FoldNormalization switch
        {
            InputScale.Unit => "RGB pixels scaled 0-1 (normalisation folded in)",
            InputScale.Byte => "RGB pixels 0-255 (normalisation folded in)",
            _ => "normalised as the backbone spec says",
        }));
        if (options.TestTimeAugmentation.IsActive)
            Console.WriteLine($"views      {options.TestTimeAugmentation.Names}: one backbone pass over the stacked views, probabilities averaged");
        Console.WriteLine($"outputs    {string.Join(", ", model.Outputs)}");
        return ExitCodes.Success;
    }

    /// <summary>A text encoder and head: pooling and L2 as graph nodes, the tokenizer in the metadata (callers tokenise).</summary>
    private static int ComposeText(ParseResult parseResult, BackboneSpec spec, HeadModel head)
    {
        if (parseResult.GetValue(Fold) is not null)
            throw new CliException($"Backbone '{spec.Name}' is a text backbone: it has no pixel normalisation to fold in; drop --fold-normalization.", ExitCodes.Usage);
        if (TestTimeAugmentation.Parse(parseResult.GetValue(Tta)).IsActive)
            throw new CliException($"Backbone '{spec.Name}' is a text backbone: test-time views transform images; drop --tta.", ExitCodes.Usage);
        using var backbone = (TextBackbone)OnnxTransfer.Features.Backbones.Backbone.Load(spec, new BackboneRunOptions { WarningSink = m => Console.Error.WriteLine($"warning: {m}") }, refuseLongTexts: false);
        var model = new FusedModelComposer(new ComposeOptions
        {
            IncludeFeatures = parseResult.GetValue(Features),
            AllowFingerprintMismatch = parseResult.GetValue(AllowMismatch),
            WarningSink = m => Console.Error.WriteLine($"warning: {m}"),
        }).ComposeTo(parseResult.GetValue(Out)!, backbone, head);
        Console.WriteLine($"fused      {model.Path} ({model.Bytes / 1048576.0:F1} MiB)");
        Console.WriteLine($"backbone   {spec.Name}: {backbone.FeatureTensor} → {SpecNames.Of(spec.Text!.Pooling)} pooling{(spec.Features.L2Normalize ? ", L2" : "")} " +
                          $"({backbone.Dimension} floats), at most {backbone.MaxLength} tokens");
        Console.WriteLine($"head       {head.Source}: {head.ClassCount} labels ({string.Join(", ", head.Labels.Take(5))}{(head.ClassCount > 5 ? ", …" : "")})");
        Console.WriteLine($"input      {string.Join(", ", model.InputNames)}: token ids from the tokenizer in the model's metadata");
        Console.WriteLine($"outputs    {string.Join(", ", model.Outputs)}");
        return ExitCodes.Success;
    }
}
