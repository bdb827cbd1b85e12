using System.CommandLine;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Cli.Json;
using OnnxTransfer.Features.Diagnostics;
using OnnxTransfer.Training.Blas;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer doctor</c>: what this machine can run — ONNX Runtime (version, path, providers, CUDA libraries),
/// libvips, the direct JPEG decoder, BLAS, CPU. Each line says what is missing and how to fix it; it never fails on a missing piece.
/// </summary>
public static class DoctorCommand
{
    private static readonly Option<bool> Json = new("--json") { Description = "Print the report as one JSON object." };

    public static Command Create()
    {
        var command = new Command("doctor", "Check ONNX Runtime, CUDA provider libraries, libvips, OpenBLAS and the CPU.") { Json };
        command.SetHandler((parseResult, _) =>
        {
            var checks = Collect();
            if (parseResult.GetValue(Json)) WriteJson(checks);
            else foreach (var check in checks) Console.WriteLine($"{check.Name,-14} {(check.Ok ? "ok " : "-- ")} {check.Detail}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static List<EnvironmentCheck> Collect()
    {
        var checks = new List<EnvironmentCheck>
        {
            new("onnxtransfer", true, $"{typeof(DoctorCommand).Assembly.GetName().Version?.ToString(3)} on .NET {Environment.Version}, {RuntimeInformation.OSDescription}"),
        };

        checks.AddRange(EnvironmentChecks.OnnxRuntime());
        checks.Add(EnvironmentChecks.Libvips());
        checks.Add(EnvironmentChecks.Jpeg());

        var blas = BlasBackend.Default;
        checks.Add(blas.Name == "openblas"
            ? new("blas", true, blas.Description)
            : new("blas", false, $"{blas.Description} — OpenBLAS not found, training uses the slower managed multiply " +
                                 "(apt-get install libopenblas0-pthread)"));

        checks.Add(new("cpu", true, $"{Environment.ProcessorCount} cores, {EnvironmentChecks.OperatorThreads()}, {RuntimeInformation.ProcessArchitecture}, {CpuFeatures()}"));
        return checks;
    }

    private static string CpuFeatures()
    {
        var features = new List<string>();
        if (Sse41.IsSupported) features.Add("SSE4.1");
        if (Avx.IsSupported) features.Add("AVX");
        if (Avx2.IsSupported) features.Add("AVX2");
        if (Fma.IsSupported) features.Add("FMA");
        if (Avx512F.IsSupported) features.Add("AVX-512F");
        if (Avx512BW.IsSupported) features.Add("AVX-512BW");
        if (AvxVnni.IsSupported) features.Add("AVX-VNNI");
        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) features.Add("NEON");
        return features.Count == 0 ? "no SIMD extensions detected" : string.Join(" ", features);
    }

    private static void WriteJson(List<EnvironmentCheck> checks)
    {
        var byName = new Dictionary<string, CheckResultJson>();
        foreach (var check in checks) byName[check.Name] = new CheckResultJson(check.Ok, check.Detail);
        CliJson.Print(byName, CliJson.Default.DictionaryStringCheckResultJson);
    }

    /// <summary>One check of <c>doctor --json</c>, under its name.</summary>
    internal sealed record CheckResultJson(bool Ok, string Detail);
}
