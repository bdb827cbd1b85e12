using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Numerics;

/// <summary>How a backbone run's <see cref="EmbeddingNumerics"/> (a format, in <c>OnnxTransfer.Formats</c>) follow from its options.</summary>
public static class EmbeddingNumericsDerivation
{
    extension(EmbeddingNumerics)
    {
        /// <summary>
        /// The one place numerics are derived: the provider that actually runs the model (the first active provider other
        /// than CPU, else CPU — a CUDA request that fell back to CPU is CPU numerics), the precision asked for on CUDA, and
        /// on CPU fp16 when the graph was converted to float16 (the graph, not the provider, makes those numbers), else
        /// fp32 or, for a quantised graph, the int8 kernels (tf32 is a CUDA mode: on CPU the model ran fp32).
        /// </summary>
        public static EmbeddingNumerics Derive(BackboneRunOptions options, IReadOnlyList<string> activeProviders, bool quantizedGraph, string? runtime)
        {
            ArgumentNullException.ThrowIfNull(options);
            ArgumentNullException.ThrowIfNull(activeProviders);
            var provider = activeProviders.FirstOrDefault(p => p != EmbeddingNumerics.CpuProvider) ?? EmbeddingNumerics.CpuProvider;
            string precision = provider != EmbeddingNumerics.CpuProvider ? ComputePrecisionNames.Of(options.Precision)
                : options.Precision == ComputePrecision.Fp16 ? ComputePrecisionNames.Of(ComputePrecision.Fp16)
                : quantizedGraph ? EmbeddingNumerics.Int8CpuKernels
                : ComputePrecisionNames.Of(ComputePrecision.Fp32);
            return new EmbeddingNumerics(provider, precision, quantizedGraph, runtime);
        }
    }
}
