namespace OnnxTransfer.Runtime.Native;

/// <summary>
/// Positions of the entries OnnxTransfer uses in ONNX Runtime's <c>OrtApi</c> function table.
/// </summary>
/// <remarks>
/// The table is append-only across releases, so an index never changes once published. These were derived
/// mechanically by listing the member declarations of <c>struct OrtApi</c> (ORT_API2_STATUS, ORT_CLASS_RELEASE,
/// ORT_API_T and plain function pointers) in the C API header, counting from 0. The runtime tests call entries at
/// low, middle and high positions (status round trip, providers, build info, EP assignment) to confirm them.
/// </remarks>
internal static class OrtApiIndex
{
    public const int CreateStatus = 0;
    public const int GetErrorCode = 1;
    public const int GetErrorMessage = 2;
    public const int CreateEnv = 3;
    public const int CreateSession = 7;
    public const int CreateSessionFromArray = 8;
    public const int Run = 9;
    public const int CreateSessionOptions = 10;
    public const int SetOptimizedModelFilePath = 11;
    public const int SetSessionExecutionMode = 13;
    public const int EnableCpuMemArena = 18;
    public const int DisableCpuMemArena = 19;
    public const int SetSessionLogId = 20;
    public const int SetSessionLogSeverityLevel = 22;
    public const int SetSessionGraphOptimizationLevel = 23;
    public const int SetIntraOpNumThreads = 24;
    public const int SetInterOpNumThreads = 25;
    public const int SessionGetInputCount = 30;
    public const int SessionGetOutputCount = 31;
    public const int SessionGetInputTypeInfo = 33;
    public const int SessionGetOutputTypeInfo = 34;
    public const int SessionGetInputName = 36;
    public const int SessionGetOutputName = 37;
    public const int CreateRunOptions = 39;
    public const int RunOptionsSetRunLogSeverityLevel = 41;
    public const int RunOptionsSetRunTag = 42;
    public const int RunOptionsSetTerminate = 46;
    public const int RunOptionsUnsetTerminate = 47;
    public const int CreateTensorAsOrtValue = 48;
    public const int CreateTensorWithDataAsOrtValue = 49;
    public const int GetTensorMutableData = 51;
    public const int CastTypeInfoToTensorInfo = 55;
    public const int GetOnnxTypeFromTypeInfo = 56;
    public const int GetTensorElementType = 60;
    public const int GetDimensionsCount = 61;
    public const int GetDimensions = 62;
    public const int GetSymbolicDimensions = 63;
    public const int GetTensorTypeAndShape = 65;
    public const int GetValueType = 67;
    public const int CreateCpuMemoryInfo = 69;
    public const int AllocatorFree = 76;
    public const int GetAllocatorWithDefaultOptions = 78;
    public const int ReleaseEnv = 92;
    public const int ReleaseStatus = 93;
    public const int ReleaseMemoryInfo = 94;
    public const int ReleaseSession = 95;
    public const int ReleaseValue = 96;
    public const int ReleaseRunOptions = 97;
    public const int ReleaseTypeInfo = 98;
    public const int ReleaseTensorTypeAndShapeInfo = 99;
    public const int ReleaseSessionOptions = 100;
    public const int SessionGetModelMetadata = 111;
    public const int ModelMetadataGetProducerName = 112;
    public const int ModelMetadataGetGraphName = 113;
    public const int ModelMetadataGetDomain = 114;
    public const int ModelMetadataGetDescription = 115;
    public const int ModelMetadataLookupCustomMetadataMap = 116;
    public const int ModelMetadataGetVersion = 117;
    public const int ReleaseModelMetadata = 118;
    public const int CreateEnvWithGlobalThreadPools = 119;
    public const int DisablePerSessionThreads = 120;
    public const int CreateThreadingOptions = 121;
    public const int ReleaseThreadingOptions = 122;
    public const int ModelMetadataGetCustomMetadataMapKeys = 123;
    public const int GetAvailableProviders = 125;
    public const int ReleaseAvailableProviders = 126;
    public const int AddSessionConfigEntry = 130;
    public const int SetGlobalIntraOpNumThreads = 147;
    public const int SetGlobalInterOpNumThreads = 148;
    public const int SetGlobalSpinControl = 149;
    public const int ModelMetadataGetGraphDescription = 158;
    public const int AddRunConfigEntry = 165;
    public const int SessionOptionsAppendExecutionProviderCudaV2 = 204;
    public const int CreateCudaProviderOptions = 205;
    public const int UpdateCudaProviderOptions = 206;
    public const int ReleaseCudaProviderOptions = 208;
    public const int GetBuildInfoString = 254;
    public const int SessionGetEpGraphAssignmentInfo = 407;
    public const int EpAssignedSubgraphGetEpName = 408;
}
