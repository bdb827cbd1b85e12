using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Imaging;
using OnnxTransfer.Features.Views;
using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;
using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Inference.Composition;

/// <summary>
/// Test-time augmentation in the fused graph (<see cref="ComposeOptions.TestTimeAugmentation"/>): the V views of the
/// input are stacked along the batch axis in front of the backbone ([V·N, C, H, W]: the original rows, then each
/// view's), so one backbone pass and one head pass serve them all; after the head every output is folded back from
/// [V·N, …] to [N, …] — <c>probabilities</c> the mean over the views, <c>label_index</c> the argmax of that mean,
/// <c>features</c> and <c>ood_score</c> the original view's rows (the detector's threshold was set on original inputs,
/// so its score stays the one it was calibrated on), any other float output the mean over the views.
/// </summary>
public sealed partial class FusedModelComposer
{
    /// <summary>Refuses a backbone the view path cannot be written for, naming the fix.</summary>
    private static void CheckViewsFit(ImageBackbone backbone, OnnxModel model)
    {
        if (backbone.Spec.Layout != TensorLayout.Nchw)
            throw new InferenceException($"Backbone '{backbone.Spec.Name}' takes {SpecNames.Of(backbone.Spec.Layout)} input; test-time views are defined on NCHW tensors: compose without --tta.");
        if (backbone.FixedBatchSize is { } fixedBatch)
            throw new InferenceException($"Backbone '{backbone.Spec.Name}' fixes its batch size at {fixedBatch}; --tta stacks the views along the batch axis, " +
                                         "so it needs a model with a dynamic batch axis (export it with a dynamic batch dimension).");
        if (model.GetOpsetVersion("") is < 10)
            throw new InferenceException($"Backbone '{backbone.Spec.Name}' uses ONNX opset {model.GetOpsetVersion("")}; the mirrored view needs Slice with steps (opset 10 or later): convert the model to a newer opset.");
    }

    /// <summary>
    /// After the head is appended: the outputs folded back to one row per input, the head's own per-view
    /// <c>label_index</c> pruned, and the views named in the metadata.
    /// </summary>
    private static void CombineViews(OnnxModel model, TestTimeAugmentation views)
    {
        // Append raises the opset to the head's when that is higher, and the reduction operators changed with it.
        new GraphEditor(model.Proto.Graph, model.GetOpsetVersion("")!.Value).CombineViewOutputs(views.Views.Count);
        model.CutAt([.. model.Outputs.Select(output => output.Name)]);
        model.SetMetadata(MetadataKeys.TestTimeViews, views.Names);
        model.SetMetadata(MetadataKeys.TestTimeCombine, ModelLayout.MeanOfViewProbabilities);
    }

    private sealed partial class GraphEditor
    {
        private const long WidthAxis = 3; // NCHW

        /// <summary>
        /// Puts <c>Concat(x, view₁(x), …)</c> along the batch axis in front of every consumer of the image input. The
        /// views are exact permutations of the values (a mirror is <c>Slice</c> with step −1 on the width axis), so each
        /// stacked row is bit for bit what <see cref="InputView.Apply"/> writes; a folded normalisation behind it is
        /// per channel, so mirroring before or after it gives the same values.
        /// </summary>
        public void StackInputViews(string input, IReadOnlyList<InputView> views)
        {
            var stackedName = Name("view_stack");
            foreach (var node in graph.Node)
                for (var i = 0; i < node.Input.Count; i++)
                    if (node.Input[i] == input) node.Input[i] = stackedName;

            var nodes = new List<NodeProto>();
            var stacked = new List<string> { input };
            foreach (var view in views.Skip(1))
            {
                if (view.Id != InputView.HorizontalFlip.Id) throw new NotSupportedException($"View '{view.Name}' has no graph transform.");
                stacked.Add(Prepend(nodes, "Slice",
                    [input, Constant($"view_{view.Name}_starts", [-1L]), Constant($"view_{view.Name}_ends", [long.MinValue]),
                     Constant($"view_{view.Name}_axes", [WidthAxis]), Constant($"view_{view.Name}_steps", [-1L])],
                    $"view_{view.Name}"));
            }
            nodes.Add(new NodeProto { OpType = "Concat", Name = stackedName, Input = { stacked }, Output = { stackedName }, Attribute = { Int("axis", 0) } });
            for (var i = nodes.Count - 1; i >= 0; i--) graph.Node.Insert(0, nodes[i]);
        }

        /// <summary>
        /// Folds every graph output from [V·N, …] back to [N, …]: the head's tensor is renamed (its consumers inside the
        /// head keep reading the per-view values) and the output recomputed from it over the view axis of a
        /// <c>Reshape</c> to [V, N, …].
        /// </summary>
        public void CombineViewOutputs(int viewCount)
        {
            foreach (var output in graph.Output.ToList())
            {
                var name = output.Name;
                if (name == ModelLayout.LabelIndexOutput) continue; // recomputed from the averaged probabilities below
                var perView = RenameEverywhere(name, Name($"views/{name}"));
                var dims = TrailingDimensions(output);
                if (output.Type.TensorType.ElemType != (int)TensorProto.Types.DataType.Float)
                    throw new InferenceException($"The head's output '{name}' is not float, so it cannot be averaged over test-time views: compose without --tta.");
                var byView = Add("Reshape", [perView, Constant($"views_shape_{name}", [viewCount, -1L, .. dims])], $"views/{name}_by_view");
                if (name is ModelLayout.FeaturesOutput or ModelLayout.OodScoreOutput)
                    ExactAdd("Gather", [byView, Constant("original_view", [0L], scalar: true)], name, Int("axis", 0));
                else
                    ExactAdd("ReduceMean", opset >= 18 ? [byView, Constant($"views_axes_{name}", [0L])] : [byView], name,
                        opset >= 18 ? [Int("keepdims", 0)] : [Ints("axes", 0), Int("keepdims", 0)]);
            }
            if (graph.Output.Any(o => o.Name == ModelLayout.LabelIndexOutput))
            {
                RenameEverywhere(ModelLayout.LabelIndexOutput, Name($"views/{ModelLayout.LabelIndexOutput}"));
                // Ties go to the lower index, as the head's own ArgMax and the trainer.
                ExactAdd("ArgMax", [ModelLayout.ProbabilitiesOutput], ModelLayout.LabelIndexOutput, Int("axis", 1), Int("keepdims", 0));
            }
        }

        /// <summary>Renames a tensor in every node and value_info (not in the graph outputs, which keep the name for the combined value).</summary>
        private string RenameEverywhere(string from, string to)
        {
            foreach (var node in graph.Node)
            {
                for (var i = 0; i < node.Input.Count; i++) if (node.Input[i] == from) node.Input[i] = to;
                for (var i = 0; i < node.Output.Count; i++) if (node.Output[i] == from) node.Output[i] = to;
            }
            foreach (var info in graph.ValueInfo.Where(v => v.Name == from).ToList()) graph.ValueInfo.Remove(info);
            return to;
        }

        /// <summary>The output's dimensions after the batch axis; each must be fixed (the view reshape spells them out).</summary>
        private static long[] TrailingDimensions(ValueInfoProto output)
        {
            var shape = output.Type.TensorType?.Shape
                        ?? throw new InferenceException($"The head's output '{output.Name}' declares no shape, so it cannot be averaged over test-time views: compose without --tta.");
            var dims = shape.Dim.Skip(1).ToList();
            if (dims.Any(d => d.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue))
                throw new InferenceException($"The head's output '{output.Name}' has a dimension besides the batch that is not fixed, so it cannot be averaged over test-time views: compose without --tta.");
            return [.. dims.Select(d => d.DimValue)];
        }

        /// <summary>A node whose output keeps its exact name (a graph output).</summary>
        private void ExactAdd(string op, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = Name($"views/{output}"), Input = { inputs }, Output = { output } };
            node.Attribute.AddRange(attributes);
            graph.Node.Add(node);
        }
    }
}
