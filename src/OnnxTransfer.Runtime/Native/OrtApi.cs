namespace OnnxTransfer.Runtime.Native;

/// <summary>
/// The entries of ONNX Runtime's <c>OrtApi</c> table that OnnxTransfer calls, read once from the table as unmanaged
/// function pointers (no delegates, so NativeAOT needs no marshalling stubs). Every entry returning <c>nint</c> named
/// "status" returns an <c>OrtStatus*</c> that must go through <see cref="OrtStatus.Check"/>.
/// </summary>
/// <remarks>Opaque ORT objects are passed as <c>nint</c>; strings are UTF-8 <c>byte*</c> (ORTCHAR_T is char on Linux).</remarks>
internal sealed unsafe class OrtApi
{
    public OrtApi(nint table)
    {
        var entry = (void**)table;
        CreateStatus = (delegate* unmanaged<int, byte*, nint>)entry[OrtApiIndex.CreateStatus];
        GetErrorCode = (delegate* unmanaged<nint, int>)entry[OrtApiIndex.GetErrorCode];
        GetErrorMessage = (delegate* unmanaged<nint, byte*>)entry[OrtApiIndex.GetErrorMessage];
        CreateEnv = (delegate* unmanaged<int, byte*, nint*, nint>)entry[OrtApiIndex.CreateEnv];
        CreateSession = (delegate* unmanaged<nint, void*, nint, nint*, nint>)entry[OrtApiIndex.CreateSession];
        CreateSessionFromArray = (delegate* unmanaged<nint, void*, nuint, nint, nint*, nint>)entry[OrtApiIndex.CreateSessionFromArray];
        Run = (delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint>)entry[OrtApiIndex.Run];
        CreateSessionOptions = (delegate* unmanaged<nint*, nint>)entry[OrtApiIndex.CreateSessionOptions];
        SetOptimizedModelFilePath = (delegate* unmanaged<nint, void*, nint>)entry[OrtApiIndex.SetOptimizedModelFilePath];
        SetSessionExecutionMode = (delegate* unmanaged<nint, int, nint>)entry[OrtApiIndex.SetSessionExecutionMode];
        EnableCpuMemArena = (delegate* unmanaged<nint, nint>)entry[OrtApiIndex.EnableCpuMemArena];
        DisableCpuMemArena = (delegate* unmanaged<nint, nint>)entry[OrtApiIndex.DisableCpuMemArena];
        SetSessionLogId = (delegate* unmanaged<nint, byte*, nint>)entry[OrtApiIndex.SetSessionLogId];
        SetSessionLogSeverityLevel = (delegate* unmanaged<nint, int, nint>)entry[OrtApiIndex.SetSessionLogSeverityLevel];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<nint, int, nint>)entry[OrtApiIndex.SetSessionGraphOptimizationLevel];
        SetIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)entry[OrtApiIndex.SetIntraOpNumThreads];
        SetInterOpNumThreads = (delegate* unmanaged<nint, int, nint>)entry[OrtApiIndex.SetInterOpNumThreads];
        SessionGetInputCount = (delegate* unmanaged<nint, nuint*, nint>)entry[OrtApiIndex.SessionGetInputCount];
        SessionGetOutputCount = (delegate* unmanaged<nint, nuint*, nint>)entry[OrtApiIndex.SessionGetOutputCount];
        SessionGetInputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)entry[OrtApiIndex.SessionGetInputTypeInfo];
        SessionGetOutputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)entry[OrtApiIndex.SessionGetOutputTypeInfo];
        SessionGetInputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)entry[OrtApiIndex.SessionGetInputName];
        SessionGetOutputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)entry[OrtApiIndex.SessionGetOutputName];
        CreateRunOptions = (delegate* unmanaged<nint*, nint>)entry[OrtApiIndex.CreateRunOptions];
        RunOptionsSetRunLogSeverityLevel = (delegate* unmanaged<nint, int, nint>)entry[OrtApiIndex.RunOptionsSetRunLogSeverityLevel];
        RunOptionsSetRunTag = (delegate* unmanaged<nint, byte*, nint>)entry[OrtApiIndex.RunOptionsSetRunTag];
        RunOptionsSetTerminate = (delegate* unmanaged<nint, nint>)entry[OrtApiIndex.RunOptionsSetTerminate];
        RunOptionsUnsetTerminate = (delegate* unmanaged<nint, nint>)entry[OrtApiIndex.RunOptionsUnsetTerminate];
        CreateTensorAsOrtValue = (delegate* unmanaged<nint, long*, nuint, int, nint*, nint>)entry[OrtApiIndex.CreateTensorAsOrtValue];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint>)entry[OrtApiIndex.CreateTensorWithDataAsOrtValue];
        GetTensorMutableData = (delegate* unmanaged<nint, void**, nint>)entry[OrtApiIndex.GetTensorMutableData];
        CastTypeInfoToTensorInfo = (delegate* unmanaged<nint, nint*, nint>)entry[OrtApiIndex.CastTypeInfoToTensorInfo];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged<nint, int*, nint>)entry[OrtApiIndex.GetOnnxTypeFromTypeInfo];
        GetTensorElementType = (delegate* unmanaged<nint, int*, nint>)entry[OrtApiIndex.GetTensorElementType];
        GetDimensionsCount = (delegate* unmanaged<nint, nuint*, nint>)entry[OrtApiIndex.GetDimensionsCount];
        GetDimensions = (delegate* unmanaged<nint, long*, nuint, nint>)entry[OrtApiIndex.GetDimensions];
        GetSymbolicDimensions = (delegate* unmanaged<nint, byte**, nuint, nint>)entry[OrtApiIndex.GetSymbolicDimensions];
        GetTensorTypeAndShape = (delegate* unmanaged<nint, nint*, nint>)entry[OrtApiIndex.GetTensorTypeAndShape];
        GetValueType = (delegate* unmanaged<nint, int*, nint>)entry[OrtApiIndex.GetValueType];
        CreateCpuMemoryInfo = (delegate* unmanaged<int, int, nint*, nint>)entry[OrtApiIndex.CreateCpuMemoryInfo];
        AllocatorFree = (delegate* unmanaged<nint, void*, nint>)entry[OrtApiIndex.AllocatorFree];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<nint*, nint>)entry[OrtApiIndex.GetAllocatorWithDefaultOptions];
        ReleaseEnv = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseEnv];
        ReleaseStatus = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseStatus];
        ReleaseMemoryInfo = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseMemoryInfo];
        ReleaseSession = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseSession];
        ReleaseValue = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseValue];
        ReleaseRunOptions = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseRunOptions];
        ReleaseTypeInfo = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseTypeInfo];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseTensorTypeAndShapeInfo];
        ReleaseSessionOptions = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseSessionOptions];
        SessionGetModelMetadata = (delegate* unmanaged<nint, nint*, nint>)entry[OrtApiIndex.SessionGetModelMetadata];
        ModelMetadataGetProducerName = (delegate* unmanaged<nint, nint, byte**, nint>)entry[OrtApiIndex.ModelMetadataGetProducerName];
        ModelMetadataGetGraphName = (delegate* unmanaged<nint, nint, byte**, nint>)entry[OrtApiIndex.ModelMetadataGetGraphName];
        ModelMetadataGetDomain = (delegate* unmanaged<nint, nint, byte**, nint>)entry[OrtApiIndex.ModelMetadataGetDomain];
        ModelMetadataGetDescription = (delegate* unmanaged<nint, nint, byte**, nint>)entry[OrtApiIndex.ModelMetadataGetDescription];
        ModelMetadataLookupCustomMetadataMap = (delegate* unmanaged<nint, nint, byte*, byte**, nint>)entry[OrtApiIndex.ModelMetadataLookupCustomMetadataMap];
        ModelMetadataGetVersion = (delegate* unmanaged<nint, long*, nint>)entry[OrtApiIndex.ModelMetadataGetVersion];
        ReleaseModelMetadata = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseModelMetadata];
        CreateEnvWithGlobalThreadPools = (delegate* unmanaged<int, byte*, nint, nint*, nint>)entry[OrtApiIndex.CreateEnvWithGlobalThreadPools];
        DisablePerSessionThreads = (delegate* unmanaged<nint, nint>)entry[OrtApiIndex.DisablePerSessionThreads];
        CreateThreadingOptions = (delegate* unmanaged<nint*, nint>)entry[OrtApiIndex.CreateThreadingOptions];
        ReleaseThreadingOptions = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseThreadingOptions];
        ModelMetadataGetCustomMetadataMapKeys = (delegate* unmanaged<nint, nint, byte***, long*, nint>)entry[OrtApiIndex.ModelMetadataGetCustomMetadataMapKeys];
        GetAvailableProviders = (delegate* unmanaged<byte***, int*, nint>)entry[OrtApiIndex.GetAvailableProviders];
        ReleaseAvailableProviders = (delegate* unmanaged<byte**, int, nint>)entry[OrtApiIndex.ReleaseAvailableProviders];
        AddSessionConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)entry[OrtApiIndex.AddSessionConfigEntry];
        SetGlobalIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)entry[OrtApiIndex.SetGlobalIntraOpNumThreads];
        SetGlobalInterOpNumThreads = (delegate* unmanaged<nint, int, nint>)entry[OrtApiIndex.SetGlobalInterOpNumThreads];
        SetGlobalSpinControl = (delegate* unmanaged<nint, int, nint>)entry[OrtApiIndex.SetGlobalSpinControl];
        ModelMetadataGetGraphDescription = (delegate* unmanaged<nint, nint, byte**, nint>)entry[OrtApiIndex.ModelMetadataGetGraphDescription];
        AddRunConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)entry[OrtApiIndex.AddRunConfigEntry];
        SessionOptionsAppendExecutionProviderCudaV2 = (delegate* unmanaged<nint, nint, nint>)entry[OrtApiIndex.SessionOptionsAppendExecutionProviderCudaV2];
        CreateCudaProviderOptions = (delegate* unmanaged<nint*, nint>)entry[OrtApiIndex.CreateCudaProviderOptions];
        UpdateCudaProviderOptions = (delegate* unmanaged<nint, byte**, byte**, nuint, nint>)entry[OrtApiIndex.UpdateCudaProviderOptions];
        ReleaseCudaProviderOptions = (delegate* unmanaged<nint, void>)entry[OrtApiIndex.ReleaseCudaProviderOptions];
        GetBuildInfoString = (delegate* unmanaged<byte*>)entry[OrtApiIndex.GetBuildInfoString];
        SessionGetEpGraphAssignmentInfo = (delegate* unmanaged<nint, nint**, nuint*, nint>)entry[OrtApiIndex.SessionGetEpGraphAssignmentInfo];
        EpAssignedSubgraphGetEpName = (delegate* unmanaged<nint, byte**, nint>)entry[OrtApiIndex.EpAssignedSubgraphGetEpName];
    }

    public readonly delegate* unmanaged<int, byte*, nint> CreateStatus;
    public readonly delegate* unmanaged<nint, int> GetErrorCode;
    public readonly delegate* unmanaged<nint, byte*> GetErrorMessage;
    public readonly delegate* unmanaged<int, byte*, nint*, nint> CreateEnv;
    /// <summary>(env, ORTCHAR_T* model path, options, out session).</summary>
    public readonly delegate* unmanaged<nint, void*, nint, nint*, nint> CreateSession;
    public readonly delegate* unmanaged<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
    /// <summary>(session, run options or 0, input names, inputs, input count, output names, output count, outputs).</summary>
    public readonly delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint> Run;
    public readonly delegate* unmanaged<nint*, nint> CreateSessionOptions;
    public readonly delegate* unmanaged<nint, void*, nint> SetOptimizedModelFilePath;
    public readonly delegate* unmanaged<nint, int, nint> SetSessionExecutionMode;
    public readonly delegate* unmanaged<nint, nint> EnableCpuMemArena;
    public readonly delegate* unmanaged<nint, nint> DisableCpuMemArena;
    public readonly delegate* unmanaged<nint, byte*, nint> SetSessionLogId;
    public readonly delegate* unmanaged<nint, int, nint> SetSessionLogSeverityLevel;
    public readonly delegate* unmanaged<nint, int, nint> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged<nint, int, nint> SetIntraOpNumThreads;
    public readonly delegate* unmanaged<nint, int, nint> SetInterOpNumThreads;
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetInputCount;
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetOutputCount;
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetInputTypeInfo;
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetInputName;
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetOutputName;
    public readonly delegate* unmanaged<nint*, nint> CreateRunOptions;
    public readonly delegate* unmanaged<nint, int, nint> RunOptionsSetRunLogSeverityLevel;
    public readonly delegate* unmanaged<nint, byte*, nint> RunOptionsSetRunTag;
    public readonly delegate* unmanaged<nint, nint> RunOptionsSetTerminate;
    public readonly delegate* unmanaged<nint, nint> RunOptionsUnsetTerminate;
    /// <summary>(allocator, shape, rank, element type, out value).</summary>
    public readonly delegate* unmanaged<nint, long*, nuint, int, nint*, nint> CreateTensorAsOrtValue;
    /// <summary>(memory info, data, byte length, shape, rank, element type, out value).</summary>
    public readonly delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged<nint, void**, nint> GetTensorMutableData;
    /// <summary>The tensor info returned is owned by the type info: never release it.</summary>
    public readonly delegate* unmanaged<nint, nint*, nint> CastTypeInfoToTensorInfo;
    public readonly delegate* unmanaged<nint, int*, nint> GetOnnxTypeFromTypeInfo;
    public readonly delegate* unmanaged<nint, int*, nint> GetTensorElementType;
    public readonly delegate* unmanaged<nint, nuint*, nint> GetDimensionsCount;
    public readonly delegate* unmanaged<nint, long*, nuint, nint> GetDimensions;
    public readonly delegate* unmanaged<nint, byte**, nuint, nint> GetSymbolicDimensions;
    public readonly delegate* unmanaged<nint, nint*, nint> GetTensorTypeAndShape;
    public readonly delegate* unmanaged<nint, int*, nint> GetValueType;
    public readonly delegate* unmanaged<int, int, nint*, nint> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged<nint, void*, nint> AllocatorFree;
    /// <summary>The default allocator is owned by ORT: never release it.</summary>
    public readonly delegate* unmanaged<nint*, nint> GetAllocatorWithDefaultOptions;
    public readonly delegate* unmanaged<nint, void> ReleaseEnv;
    public readonly delegate* unmanaged<nint, void> ReleaseStatus;
    public readonly delegate* unmanaged<nint, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged<nint, void> ReleaseSession;
    public readonly delegate* unmanaged<nint, void> ReleaseValue;
    public readonly delegate* unmanaged<nint, void> ReleaseRunOptions;
    public readonly delegate* unmanaged<nint, void> ReleaseTypeInfo;
    public readonly delegate* unmanaged<nint, void> ReleaseTensorTypeAndShapeInfo;
    public readonly delegate* unmanaged<nint, void> ReleaseSessionOptions;
    public readonly delegate* unmanaged<nint, nint*, nint> SessionGetModelMetadata;
    public readonly delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetProducerName;
    public readonly delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetGraphName;
    public readonly delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetDomain;
    public readonly delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetDescription;
    public readonly delegate* unmanaged<nint, nint, byte*, byte**, nint> ModelMetadataLookupCustomMetadataMap;
    public readonly delegate* unmanaged<nint, long*, nint> ModelMetadataGetVersion;
    public readonly delegate* unmanaged<nint, void> ReleaseModelMetadata;
    public readonly delegate* unmanaged<int, byte*, nint, nint*, nint> CreateEnvWithGlobalThreadPools;
    public readonly delegate* unmanaged<nint, nint> DisablePerSessionThreads;
    public readonly delegate* unmanaged<nint*, nint> CreateThreadingOptions;
    public readonly delegate* unmanaged<nint, void> ReleaseThreadingOptions;
    public readonly delegate* unmanaged<nint, nint, byte***, long*, nint> ModelMetadataGetCustomMetadataMapKeys;
    public readonly delegate* unmanaged<byte***, int*, nint> GetAvailableProviders;
    public readonly delegate* unmanaged<byte**, int, nint> ReleaseAvailableProviders;
    public readonly delegate* unmanaged<nint, byte*, byte*, nint> AddSessionConfigEntry;
    public readonly delegate* unmanaged<nint, int, nint> SetGlobalIntraOpNumThreads;
    public readonly delegate* unmanaged<nint, int, nint> SetGlobalInterOpNumThreads;
    public readonly delegate* unmanaged<nint, int, nint> SetGlobalSpinControl;
    public readonly delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetGraphDescription;
    public readonly delegate* unmanaged<nint, byte*, byte*, nint> AddRunConfigEntry;
    public readonly delegate* unmanaged<nint, nint, nint> SessionOptionsAppendExecutionProviderCudaV2;
    public readonly delegate* unmanaged<nint*, nint> CreateCudaProviderOptions;
    public readonly delegate* unmanaged<nint, byte**, byte**, nuint, nint> UpdateCudaProviderOptions;
    public readonly delegate* unmanaged<nint, void> ReleaseCudaProviderOptions;
    public readonly delegate* unmanaged<byte*> GetBuildInfoString;
    /// <summary>The array and the subgraphs in it are owned by the session.</summary>
    public readonly delegate* unmanaged<nint, nint**, nuint*, nint> SessionGetEpGraphAssignmentInfo;
    public readonly delegate* unmanaged<nint, byte**, nint> EpAssignedSubgraphGetEpName;
}
