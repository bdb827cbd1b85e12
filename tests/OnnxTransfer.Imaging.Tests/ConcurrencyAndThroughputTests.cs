using System.Diagnostics;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Imaging.Tests;

public class ConcurrencyAndThroughputTests
{
    private static readonly ImageDecoder Decoder = new();
    private static readonly ImagePreprocessor Preprocessor = new();

    /// <remarks>
    /// Both roads: TurboJPEG directly, and libvips, whose pixels each calling thread computes itself through a region
    /// (ImageDecoder.DecodeInto); a region shared or left behind between threads would show here as wrong tensors.
    /// </remarks>
    [TestCase(true)]
    [TestCase(false)]
    public void EightThreadsGiveTheSameTensorsAsOne(bool directJpeg)
    {
        var decoder = new ImageDecoder(new ImageDecoderOptions { DirectJpeg = directJpeg });
        var paths = SharedData.ReferenceNames.Select(SharedData.ReferenceImage).ToArray();
        var expected = paths.Select(Tensor).ToArray();

        const int threads = 8, rounds = 2;
        var mismatches = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                var tensor = new float[Preprocessor.TensorLength]; // one reused buffer per worker, as the pipeline does
                start.SignalAndWait();
                for (var round = 0; round < rounds; round++)
                for (var k = 0; k < paths.Length; k++)
                {
                    var i = (k + t) % paths.Length; // threads work on different images at the same moment
                    using var image = decoder.Decode(paths[i], Preprocessor);
                    Assert.That(image.DecodedDirectly, directJpeg ? Is.EqualTo(image.Format == ImageFormat.Jpeg) : Is.False);
                    Preprocessor.Process(image, tensor);
                    if (!tensor.AsSpan().SequenceEqual(expected[i])) Interlocked.Increment(ref mismatches);
                }
            }
            catch (Exception e) { failures.Enqueue(e); }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        Assert.That(failures, Is.Empty);
        Assert.That(mismatches, Is.Zero);
    }

    [Test]
    public void ConcurrentFailuresAndSuccessesDoNotMix()
    {
        // Bad and good images decoded at the same time: libvips' error buffer is process-wide, so reason codes must not
        // depend on it, and a failure on one thread must not fail a good image on another.
        using var folder = new TempDirectory("onnxtransfer-imaging-mixed");
        var jpeg = File.ReadAllBytes(SharedData.ReferenceImage("rocket"));
        var truncated = folder.File("truncated.jpg");
        File.WriteAllBytes(truncated, jpeg[..(jpeg.Length / 3)]);
        var text = folder.File("text.jpg");
        File.WriteAllText(text, "not an image");
        var good = SharedData.ReferenceImage("rocket");

        var wrong = 0;
        Parallel.For(0, 120, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i =>
        {
            try
            {
                switch (i % 3)
                {
                    case 0:
                        using (var image = Decoder.Decode(good)) if (image.Width != 640) Interlocked.Increment(ref wrong);
                        break;
                    case 1:
                        try { Decoder.Decode(truncated).Dispose(); Interlocked.Increment(ref wrong); }
                        catch (ImageDecodeException e) when (e.Reason == ImageDecodeError.Truncated) { }
                        break;
                    default:
                        try { Decoder.Decode(text).Dispose(); Interlocked.Increment(ref wrong); }
                        catch (ImageDecodeException e) when (e.Reason == ImageDecodeError.NotAnImage) { }
                        break;
                }
            }
            catch (Exception) { Interlocked.Increment(ref wrong); }
        });
        Assert.That(wrong, Is.Zero);
    }

    [Test]
    public void ThroughputOnHymenoptera()
    {
        var paths = Directory.GetFiles(SharedData.Hymenoptera, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        Assert.That(paths, Has.Length.EqualTo(398));
        // Warm-up: libvips start, pools, and tiered JIT (hot loops are recompiled optimised after ~30 calls, in the
        // background), so the timed runs measure steady state.
        Run(paths.Take(60).ToArray(), threads: 1);
        Thread.Sleep(300);

        var (oneThread, errorsOne) = Run(paths, threads: 1);
        var (twoThreads, errorsTwo) = Run(paths, threads: 2);
        TestContext.Out.WriteLine(
            $"decode+preprocess of {paths.Length} hymenoptera images ({Environment.ProcessorCount} cores): " +
            $"1 thread {paths.Length / oneThread.TotalSeconds:F0} images/s, 2 threads {paths.Length / twoThreads.TotalSeconds:F0} images/s");
        Assert.That(errorsOne + errorsTwo, Is.Zero, "every hymenoptera image (the GIF included) decodes");
    }

    private static (TimeSpan Elapsed, int Errors) Run(string[] paths, int threads)
    {
        var errors = 0;
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            var tensor = new float[Preprocessor.TensorLength];
            int i;
            while ((i = Interlocked.Increment(ref next)) < paths.Length)
            {
                try
                {
                    using var image = Decoder.Decode(paths[i], Preprocessor);
                    Preprocessor.Process(image, tensor);
                }
                catch (ImageDecodeException) { Interlocked.Increment(ref errors); }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return (stopwatch.Elapsed, errors);
    }

    private static float[] Tensor(string path)
    {
        using var image = Decoder.Decode(path, Preprocessor);
        var tensor = new float[Preprocessor.TensorLength];
        Preprocessor.Process(image, tensor);
        return tensor;
    }
}
