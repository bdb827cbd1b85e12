using System.CommandLine;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference;
using OnnxTransfer.Inference.Composition;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Inference.Prediction;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// The model options of <c>predict</c> and <c>score</c>: <c>--model fused.onnx</c>, or <c>--backbone SPEC --head
/// head.onnx</c> (chained), with the device options; and the one place their refusals become CLI errors.
/// </summary>
internal sealed class PredictorLoading
{
    public Option<string?> Model { get; } = new("--model") { Description = "A fused model (onnxtransfer compose wrote it)." };
    public Option<string?> Backbone { get; } = new("--backbone") { Description = "Backbone spec, with --head: run backbone and head as two sessions (no compose step)." };
    public Option<string?> Head { get; } = new("--head") { Description = "Head (head.onnx from onnxtransfer train), with --backbone." };
    public Option<bool> AllowMismatch { get; } = new("--allow-fingerprint-mismatch") { Description = "Accept a head trained on another backbone fingerprint (warns; the dimension must still match)." };
    public Option<string?> Tta { get; } = new("--tta")
    {
        Description = "With --backbone/--head: average the probabilities over the original and these views (hflip), as a model composed with --tta does. " +
                      "A fused model applies its own views (named here, they must match).",
    };
    public DeviceOptions Device { get; } = new();
    public Option<string> Precision { get; } = PrecisionOption.Create();

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Backbone);
        command.Options.Add(Head);
        command.Options.Add(AllowMismatch);
        command.Options.Add(Tta);
        ValidateViews(Tta);
        Device.AddTo(command);
        command.Options.Add(Precision);
        command.Validators.Add(result =>
        {
            var model = result.GetValue(Model) is not null;
            var backbone = result.GetValue(Backbone) is not null;
            var head = result.GetValue(Head) is not null;
            if (model && (backbone || head)) result.AddError("Give either --model FUSED.onnx or --backbone SPEC --head HEAD.onnx, not both.");
            else if (!model && !(backbone && head)) result.AddError("Name the model: --model FUSED.onnx, or --backbone SPEC --head HEAD.onnx.");
        });
    }

    /// <param name="warnings">Where the loader's warnings go (score: its run log); plain <c>warning:</c> lines on stderr by default.</param>
    public Predictor Load(ParseResult parseResult, int topK, int batch, bool allowSpinning, Action<string>? warnings = null)
    {
        // Refuses --cudnn-search, --prefer-nhwc on or tf32 on CPU.
        var device = PrecisionOption.Checked(Device.ToRunOptions(parseResult) with { Precision = PrecisionOption.Parse(parseResult, Precision) });
        var options = PredictorOptions.RunningAs(device) with
        {
            AllowSpinning = allowSpinning,
            MaxBatchSize = batch,
            TopK = topK,
            AllowFingerprintMismatch = parseResult.GetValue(AllowMismatch),
            TestTimeAugmentation = parseResult.GetValue(Tta) is { } views ? TestTimeAugmentation.Parse(views) : null,
            WarningSink = warnings ?? (message => Console.Error.WriteLine($"warning: {message}")),
        };
        if (parseResult.GetValue(Model) is { } model) return Predictor.FromFusedModel(model, options);
        return Predictor.FromBackbone(BackboneSpecFile.Load(parseResult.GetValue(Backbone)!), HeadModel.Load(parseResult.GetValue(Head)!), options);
    }

    /// <summary>A <c>--tta</c> list naming an unknown view is a usage error that lists the known views.</summary>
    public static void ValidateViews(Option<string?> option) => option.Validators.Add(result =>
    {
        try { TestTimeAugmentation.Parse(result.GetValueOrDefault<string?>()); }
        catch (FormatException e) { result.AddError(e.Message); }
    });

    /// <summary>
    /// A prediction setting out of range (batch size, top-k: the ArgumentOutOfRangeException names it and the valid
    /// range) is a usage error; the other refusals are mapped by <see cref="CommandRunner"/>.
    /// </summary>
    public static int Translate(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ArgumentOutOfRangeException e) { throw new CliException(e.Message, ExitCodes.Usage); }
    }
}
