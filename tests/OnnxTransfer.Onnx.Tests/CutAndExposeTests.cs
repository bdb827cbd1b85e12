using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Onnx.Tests;

public class CutAndExposeTests
{
    private const string Feature = SharedData.MobileNetV2FeatureTensor;

    [Test]
    public void Cut_at_the_feature_tensor_leaves_a_valid_smaller_model_with_only_that_output()
    {
        var full = MobileNetV2.Load();
        var cut = MobileNetV2.Load();
        cut.CutAt(Feature);

        Assert.That(cut.FindProblems(), Is.Empty);
        var output = cut.Outputs.Single();
        Assert.That(output.Name, Is.EqualTo(Feature));
        Assert.That(output.ElementType, Is.EqualTo(OnnxDataType.Float));
        Assert.That(output.Shape!.Rank, Is.EqualTo(2));
        Assert.That(output.Shape[1].Value, Is.EqualTo(SharedData.MobileNetV2FeatureDim));
        Assert.That(cut.Inputs, Is.EqualTo(full.Inputs));
        Assert.That(cut.NodeCount, Is.LessThan(full.NodeCount));
        Assert.That(cut.ToBytes(), Has.Length.LessThan(MobileNetV2.Bytes.Length));

        // The classifier and everything after the feature tensor is gone.
        Assert.That(cut.Nodes.Select(n => n.OpType), Has.No.Member("Gemm"));
        Assert.That(cut.Nodes.Last().Outputs, Does.Contain(Feature));
        Assert.That(cut.Initializers.Select(i => i.Name), Has.None.StartsWith("classifier."));

        // No dangling initializers: each is read by some node. Every node contributes to the output (reverse reachability).
        var read = cut.Nodes.SelectMany(n => n.Inputs).ToHashSet();
        Assert.That(cut.Initializers.Where(i => !read.Contains(i.Name)).Select(i => i.Name), Is.Empty);
        var needed = new HashSet<string> { Feature };
        foreach (var node in cut.Nodes.Reverse())
        {
            Assert.That(node.Outputs.Any(needed.Contains), Is.True, $"{node} does not contribute to the output");
            needed.UnionWith(node.Inputs);
        }
        var produced = cut.Nodes.SelectMany(n => n.Outputs).ToHashSet();
        Assert.That(cut.Proto.Graph.ValueInfo.Select(v => v.Name).Where(n => !produced.Contains(n)), Is.Empty, "value_info of removed tensors");
    }

    [Test]
    public void Cut_model_saved_and_run_by_onnx_runtime_gives_the_reference_features()
    {
        using var temp = new TempDirectory();
        var cut = MobileNetV2.Load();
        cut.CutAt(Feature);
        cut.Save(temp.File("features.onnx"));
        var exposed = MobileNetV2.Load();
        exposed.ExposeOutput(Feature);
        exposed.Save(temp.File("exposed.onnx"));

        var name = "chelsea";
        var results = OrtOracle.Run(MobileNetV2.ReferenceInput(name), temp.File("features.onnx"), temp.File("exposed.onnx"));
        var (_, reference) = Npy.ReadFloat32(SharedData.ReferenceTensor(name, "features"));
        var (_, referenceLogits) = Npy.ReadFloat32(SharedData.ReferenceTensor(name, "logits"));

        Assert.That(results[0].OutputNames, Is.EqualTo(new[] { Feature }));
        var features = results[0].Outputs[Feature];
        Assert.That(features.Dims, Is.EqualTo(new long[] { 1, SharedData.MobileNetV2FeatureDim }));
        TestContext.Out.WriteLine($"cut vs reference: max |diff| {MaxAbsDiff(features.Data, reference)}, cosine {Cosine(features.Data, reference)}");
        // Same runtime version as the reference run: equal up to float rounding (kernels may differ between CPUs).
        Assert.That(MaxAbsDiff(features.Data, reference), Is.LessThan(1e-3));
        Assert.That(Cosine(features.Data, reference), Is.GreaterThan(0.99999));

        Assert.That(results[1].OutputNames, Is.EqualTo(new[] { "output", Feature }));
        TestContext.Out.WriteLine($"exposed vs reference: features {MaxAbsDiff(results[1].Outputs[Feature].Data, reference)}, logits {MaxAbsDiff(results[1].Outputs["output"].Data, referenceLogits)}");
        Assert.That(MaxAbsDiff(results[1].Outputs[Feature].Data, reference), Is.LessThan(1e-3));
        Assert.That(MaxAbsDiff(results[1].Outputs["output"].Data, referenceLogits), Is.LessThan(1e-2));
        Assert.That(ArgMax(results[1].Outputs["output"].Data), Is.EqualTo(ArgMax(referenceLogits)));
    }

    internal static double MaxAbsDiff(float[] a, float[] b)
    {
        Assert.That(a, Has.Length.EqualTo(b.Length));
        double max = 0;
        for (var i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    internal static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    internal static int ArgMax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
