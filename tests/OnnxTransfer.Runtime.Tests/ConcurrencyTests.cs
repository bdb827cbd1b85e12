using System.Diagnostics;
using OnnxTransfer.Runtime.Tests.Support;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

public class ConcurrencyTests
{
    private const int Threads = 8;

    /// <summary>
    /// 8 threads × 1000 runs of batch 1 on one session, each thread cycling through the reference images (half the
    /// threads letting ORT allocate outputs, half running into their own preallocated output): every result must be
    /// bit-identical to a sequential run of the same image, and process memory must stay flat. One run takes ~2-3 ms
    /// on one core, so the 8000 runs take 10-40 s on 2 shared cores; the full 1000 per thread are kept.
    /// </summary>
    [Test]
    public void EightThreadsTimesThousandRunsMatchSequentialAndMemoryStaysFlat()
    {
        const int runsPerThread = 1000, warmUpPerThread = 100;
        // One intra-op thread per run: the 8 concurrent runs already fill the cores.
        using var session = new InferenceSession(SharedData.MobileNetV2Int8Model,
            new SessionOptions { UseGlobalThreadPools = false, IntraOpThreads = 1 });
        var inputs = Reference.Images.Select(image => OrtValue.CreateTensor(image.Input, [1, 3, 224, 224])).ToArray();
        try
        {
            var sequential = inputs.Select(input =>
            {
                using var result = session.Run("input", input);
                return result[0].GetTensorData<float>().ToArray();
            }).ToArray();

            // Dedicated threads, the same ones in every phase, pausing at a barrier while the main thread measures:
            // warm-up (ORT's arena and each thread's malloc heap reach their working size), then two equal halves.
            // A leak grows linearly and shows in the second half; warm-up growth does not recur there.
            var mismatches = new int[Threads];
            var errors = new Exception?[Threads];
            using var phase = new Barrier(Threads + 1);
            var workers = Enumerable.Range(0, Threads).Select(thread => new Thread(() =>
            {
                try
                {
                    using var output = OrtValue.AllocateTensor<float>([1, Reference.Classes]);
                    int done = 0;
                    void RunMany(int runs)
                    {
                        for (int i = 0; i < runs; i++, done++)
                        {
                            var image = (thread * 7 + done) % inputs.Length;
                            bool same;
                            if (thread % 2 == 0)
                            {
                                using var result = session.Run("input", inputs[image]);
                                same = result[0].GetTensorData<float>().SequenceEqual(sequential[image]);
                            }
                            else
                            {
                                session.Run(["input"], [inputs[image]], ["output"], [output]);
                                same = output.GetTensorData<float>().SequenceEqual(sequential[image]);
                            }
                            if (!same) mismatches[thread]++;
                        }
                    }
                    RunMany(warmUpPerThread);
                    phase.SignalAndWait();
                    phase.SignalAndWait();
                    RunMany(runsPerThread / 2);
                    phase.SignalAndWait();
                    phase.SignalAndWait();
                    RunMany(runsPerThread / 2);
                }
                catch (Exception e)
                {
                    errors[thread] = e;
                    phase.RemoveParticipant();
                    return;
                }
                phase.SignalAndWait();
            }) { IsBackground = true, Name = $"run-{thread}" }).ToList();
            workers.ForEach(w => w.Start());

            phase.SignalAndWait(); // warm-up done
            long managed0 = ProcessMemory.ManagedBytes(), resident0 = ProcessMemory.ResidentBytes();
            var clock = Stopwatch.StartNew();
            phase.SignalAndWait();
            phase.SignalAndWait(); // first half done
            long resident1 = ProcessMemory.ResidentBytes();
            phase.SignalAndWait();
            phase.SignalAndWait(); // second half done
            clock.Stop();
            long managed2 = ProcessMemory.ManagedBytes(), resident2 = ProcessMemory.ResidentBytes();
            workers.ForEach(w => w.Join());

            static string MiB(long bytes) => $"{bytes / 1048576.0:F1} MiB";
            TestContext.Out.WriteLine(
                $"{Threads} threads x {runsPerThread} runs in {clock.Elapsed.TotalSeconds:F1} s ({Threads * runsPerThread / clock.Elapsed.TotalSeconds:F0} runs/s); " +
                $"RSS after warm-up {MiB(resident0)}, half-way {MiB(resident1)}, end {MiB(resident2)}; managed heap {managed0 / 1024} -> {managed2 / 1024} KiB");
            Assert.That(errors.Where(e => e is not null), Is.Empty);
            Assert.That(mismatches.Sum(), Is.Zero, "runs whose logits differ from the sequential run");
            // Leaking each output (4 KB of logits plus ORT's bookkeeping) would add over 16 MiB per half.
            Assert.That(resident2 - resident1, Is.LessThan(8L << 20), "RSS growth over the second 4000 runs");
            Assert.That(resident2 - resident0, Is.LessThan(24L << 20), "RSS growth over all 8000 runs");
            Assert.That(managed2 - managed0, Is.LessThan(1L << 20), "managed heap growth");
        }
        finally
        {
            foreach (var input in inputs) input.Dispose();
        }
    }
}
