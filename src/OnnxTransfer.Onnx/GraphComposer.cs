using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

/// <summary>
/// Merges a head graph into a backbone graph (see <see cref="OnnxModel.Append"/>). Every head tensor, node and
/// initializer is renamed with a prefix; the head's input is replaced by the backbone tensor it is wired to.
/// </summary>
internal static class GraphComposer
{
    public static void Append(OnnxModel backbone, OnnxModel head, string connectFrom, string headInput, string prefix, AppendOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectFrom);
        ArgumentException.ThrowIfNullOrEmpty(headInput);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (ReferenceEquals(backbone, head) || ReferenceEquals(backbone.Proto, head.Proto))
            throw new ArgumentException("A model cannot be appended to itself; append a Clone().", nameof(head));

        var target = backbone.Proto;
        var index = new GraphIndex(target.Graph);
        if (!index.IsDefined(connectFrom))
            throw new OnnxModelException($"The backbone has no tensor '{connectFrom}' to connect the head to: name the feature tensor " +
                                         "(FeatureTensorLocator finds it) or an existing graph output.");
        var headProblems = head.FindProblems();
        if (headProblems.Count > 0)
            throw new OnnxModelException($"The head model is not valid, so it cannot be appended: {headProblems[0]}" +
                                         (headProblems.Count > 1 ? $" (and {headProblems.Count - 1} more problems)" : ""));
        if (head.HasExternalData && !string.Equals(head.BaseDirectory, backbone.BaseDirectory, StringComparison.Ordinal))
            throw new OnnxModelException(
                "The head keeps tensors in external data files, which would not be found beside the backbone: " +
                "save the head with ExternalDataMode.Inline (heads are small) and append that.");
        var source = head.Proto.Clone();
        var headGraph = source.Graph;
        var headInitializers = new HashSet<string>(headGraph.Initializer.Select(t => t.Name), StringComparer.Ordinal);
        var wiredInput = headGraph.Input.FirstOrDefault(v => v.Name == headInput)
                         ?? throw new OnnxModelException(
                             $"The head has no input '{headInput}'; its inputs are: {string.Join(", ", head.Inputs.Select(i => $"'{i.Name}'"))}.");
        var unwired = headGraph.Input.Where(v => v.Name != headInput && !headInitializers.Contains(v.Name)).Select(v => v.Name).ToList();
        if (unwired.Count > 0)
            throw new OnnxModelException(
                $"The head has inputs besides '{headInput}' ({string.Join(", ", unwired)}) that nothing would feed; a head must take only the features.");

        CheckConnection(TensorTypeInference.Run(index).GetValueOrDefault(connectFrom), OnnxModel.Describe(wiredInput), connectFrom);
        var opsets = MergedOpsets(target, source);

        var backboneNames = AllNames(target.Graph);
        var headOutputs = new HashSet<string>(headGraph.Output.Select(o => o.Name), StringComparer.Ordinal);
        string Rename(string name) =>
            name.Length == 0 ? name
            : name == headInput ? connectFrom
            : options.KeepHeadOutputNames && headOutputs.Contains(name) ? name
            : prefix + name;

        foreach (var name in AllNames(headGraph))
        {
            if (name == headInput) continue;
            var renamed = Rename(name);
            if (backboneNames.Contains(renamed))
                throw new OnnxModelException(
                    renamed == name
                        ? $"The head's output '{name}' has the same name as a tensor of the backbone: pass AppendOptions {{ KeepHeadOutputNames = false }} or rename the head's output."
                        : $"Prefixing the head's names with '{prefix}' gives '{renamed}', which the backbone already uses: choose another prefix.");
        }

        headGraph.Input.Remove(wiredInput);
        RenameGraph(headGraph, Rename);

        var graph = target.Graph;
        graph.Node.AddRange(headGraph.Node);
        graph.Initializer.AddRange(headGraph.Initializer);
        graph.SparseInitializer.AddRange(headGraph.SparseInitializer);
        // IR < 4 heads list their initializers as inputs too; keep them listed, now under their prefixed names.
        graph.Input.AddRange(headGraph.Input);
        graph.ValueInfo.AddRange(headGraph.ValueInfo.Where(v => v.Name != connectFrom));
        graph.QuantizationAnnotation.AddRange(headGraph.QuantizationAnnotation);

        var outputs = options.KeepBackboneOutputs ? graph.Output.ToList() : [];
        outputs.AddRange(headGraph.Output.Where(o => outputs.All(existing => existing.Name != o.Name)));
        graph.Output.Clear();
        graph.Output.AddRange(outputs);

        MergeFunctions(target, source);
        target.OpsetImport.Clear();
        target.OpsetImport.AddRange(opsets);
        var defaultOpset = opsets.FirstOrDefault(o => o.Domain.Length == 0)?.Version ?? 1;
        target.IrVersion = Math.Max(Math.Max(target.IrVersion, source.IrVersion), OperatorHistory.IrVersionFor(defaultOpset));
        if (options.CopyHeadMetadata)
            foreach (var entry in source.MetadataProps) backbone.SetMetadata(entry.Key, entry.Value);

        // Without the backbone's own outputs, whatever only fed them (e.g. its original classifier) is dead now.
        GraphPruning.RemoveUnreachable(target);
        backbone.Validate();
    }

    private static void CheckConnection(TensorInfo? from, TensorInfo to, string connectFrom)
    {
        if (from is null) return;
        if (from.ElementType != OnnxDataType.Undefined && to.ElementType != OnnxDataType.Undefined && from.ElementType != to.ElementType)
            throw new OnnxModelException(
                $"The head's input '{to.Name}' takes {to.ElementType.DisplayName()} but backbone tensor '{connectFrom}' is " +
                $"{from.ElementType.DisplayName()}: export the head for {from.ElementType.DisplayName()} features.");
        if (from.Shape is null || to.Shape is null) return;
        if (from.Shape.Rank != to.Shape.Rank)
            throw new OnnxModelException(
                $"The head's input '{to.Name}' has shape {to.Shape} but backbone tensor '{connectFrom}' has shape {from.Shape}: " +
                "the ranks differ (a spatial [N,C,H,W] tensor needs pooling and flattening before a head that takes [N,C]).");
        for (var axis = 0; axis < from.Shape.Rank; axis++)
            if (from.Shape[axis].Value is { } a && to.Shape[axis].Value is { } b && a != b)
                throw new OnnxModelException(
                    $"The head's input '{to.Name}' has shape {to.Shape} but backbone tensor '{connectFrom}' has shape {from.Shape} " +
                    $"(axis {axis}: {b} vs {a}): the head was trained on features of another size; train it on this backbone's features.");
    }

    /// <summary>
    /// The opset imports of the fused model. Rule: a domain imported by one side is taken over; the same version on both
    /// sides is kept; for the default ONNX domain, different versions merge to the higher one only if no operator used by
    /// the lower side changed its definition in between (per the ONNX changelog), otherwise the composition is refused;
    /// other domains must agree exactly, since their operator histories are not known here.
    /// </summary>
    private static List<OperatorSetIdProto> MergedOpsets(ModelProto backbone, ModelProto head)
    {
        var merged = backbone.OpsetImport.Select(o => new OperatorSetIdProto { Domain = OpsetImport.NormalizeDomain(o.Domain), Version = o.Version }).ToList();
        foreach (var incoming in head.OpsetImport)
        {
            var domain = OpsetImport.NormalizeDomain(incoming.Domain);
            var existing = merged.FirstOrDefault(o => o.Domain == domain);
            if (existing is null)
            {
                merged.Add(new OperatorSetIdProto { Domain = domain, Version = incoming.Version });
                continue;
            }
            if (existing.Version == incoming.Version) continue;
            var shown = domain.Length == 0 ? "ai.onnx" : domain;
            if (domain.Length != 0)
                throw new OnnxModelException(
                    $"The backbone imports operator set '{shown}' version {existing.Version} and the head version {incoming.Version}: " +
                    "operators of that domain cannot be checked for compatibility, so export the head with the backbone's version.");
            var (lower, lowerVersion, lowerName) = existing.Version < incoming.Version
                ? (backbone, existing.Version, "backbone")
                : (head, incoming.Version, "head");
            var higher = Math.Max(existing.Version, incoming.Version);
            var changes = DefaultDomainOps(lower).Order(StringComparer.Ordinal)
                .Select(op => (Op: op, Since: OperatorHistory.ChangedBetween(op, lowerVersion, higher)))
                .Where(c => c.Since is not null)
                .Select(c => c.Since > 0 ? $"{c.Op} (redefined in opset {c.Since})" : $"{c.Op} (history unknown here)")
                .ToList();
            if (changes.Count > 0)
                throw new OnnxModelException(
                    $"The backbone uses ai.onnx opset {existing.Version} and the head opset {incoming.Version}. Raising the {lowerName} to " +
                    $"opset {higher} would change {string.Join(", ", changes)}: export the head with opset {existing.Version}, the backbone's.");
            existing.Version = higher;
        }
        return merged;
    }

    private static IEnumerable<string> DefaultDomainOps(ModelProto model)
    {
        var ops = new HashSet<string>(StringComparer.Ordinal);
        void Visit(IEnumerable<NodeProto> nodes)
        {
            foreach (var node in nodes)
            {
                if (OpsetImport.NormalizeDomain(node.Domain).Length == 0) ops.Add(node.OpType);
                foreach (var sub in GraphIndex.Subgraphs(node)) Visit(sub.Node);
            }
        }
        Visit(model.Graph.Node);
        foreach (var function in model.Functions) Visit(function.Node);
        return ops;
    }

    private static void MergeFunctions(ModelProto target, ModelProto source)
    {
        foreach (var function in source.Functions)
        {
            var same = target.Functions.FirstOrDefault(f => f.Name == function.Name && OpsetImport.NormalizeDomain(f.Domain) == OpsetImport.NormalizeDomain(function.Domain));
            if (same is null) target.Functions.Add(function);
            else if (!same.Equals(function))
                throw new OnnxModelException(
                    $"Backbone and head both define function '{function.Domain}.{function.Name}', differently: rename it in one of them.");
        }
    }

    /// <summary>Every tensor and node name of a graph and its subgraphs.</summary>
    private static HashSet<string> AllNames(GraphProto graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Visit(GraphProto g)
        {
            foreach (var v in g.Input) names.Add(v.Name);
            foreach (var v in g.Output) names.Add(v.Name);
            foreach (var v in g.ValueInfo) names.Add(v.Name);
            foreach (var t in g.Initializer) names.Add(t.Name);
            foreach (var node in g.Node)
            {
                if (node.Name.Length > 0) names.Add(node.Name);
                foreach (var name in node.Input) if (name.Length > 0) names.Add(name);
                foreach (var name in node.Output) if (name.Length > 0) names.Add(name);
                foreach (var sub in GraphIndex.Subgraphs(node)) Visit(sub);
            }
        }
        Visit(graph);
        return names;
    }

    private static void RenameGraph(GraphProto graph, Func<string, string> rename)
    {
        foreach (var v in graph.Input) v.Name = rename(v.Name);
        foreach (var v in graph.Output) v.Name = rename(v.Name);
        foreach (var v in graph.ValueInfo) v.Name = rename(v.Name);
        foreach (var t in graph.Initializer) t.Name = rename(t.Name);
        foreach (var s in graph.SparseInitializer)
        {
            if (s.Values is { } values) values.Name = rename(values.Name);
            if (s.Indices is { } indices && indices.Name.Length > 0) indices.Name = rename(indices.Name);
        }
        foreach (var annotation in graph.QuantizationAnnotation)
        {
            annotation.TensorName = rename(annotation.TensorName);
            foreach (var entry in annotation.QuantParameterTensorNames) entry.Value = rename(entry.Value);
        }
        foreach (var node in graph.Node)
        {
            if (node.Name.Length > 0) node.Name = rename(node.Name);
            for (var i = 0; i < node.Input.Count; i++) node.Input[i] = rename(node.Input[i]);
            for (var i = 0; i < node.Output.Count; i++) node.Output[i] = rename(node.Output[i]);
            foreach (var sub in GraphIndex.Subgraphs(node)) RenameGraph(sub, rename);
        }
    }
}
