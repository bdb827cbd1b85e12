using System.Text.Json;

namespace OnnxTransfer.Training.Evaluation;

/// <summary>
/// The JSON pieces every metrics document shares (the head's metadata, the report's JSON, the CLI's --json), so a
/// split's summary reads the same everywhere and a metric that is undefined (NaN, ±∞) is always written as null.
/// </summary>
public static class MetricsJson
{
    /// <summary>A number property, or null when the value is not finite (JSON has no NaN).</summary>
    public static void Number(Utf8JsonWriter json, string name, double value)
    {
        json.WritePropertyName(name);
        NumberValue(json, value);
    }

    /// <summary>A number array element, or null when the value is not finite.</summary>
    public static void NumberValue(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value)) json.WriteNumberValue(value);
        else json.WriteNullValue();
    }

    /// <summary><c>split, rows, accuracy, balanced_accuracy, macro_f1, log_loss, expected_calibration_error</c>, into the open object.</summary>
    public static void WriteSummary(Utf8JsonWriter json, ClassificationMetrics m)
    {
        json.WriteString("split", m.Split);
        json.WriteNumber("rows", m.Rows);
        Number(json, "accuracy", m.Accuracy);
        Number(json, "balanced_accuracy", m.BalancedAccuracy);
        Number(json, "macro_f1", m.MacroF1);
        Number(json, "log_loss", m.LogLoss);
        Number(json, "expected_calibration_error", m.ExpectedCalibrationError);
    }
}
