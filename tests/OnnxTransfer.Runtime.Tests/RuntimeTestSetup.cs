namespace OnnxTransfer.Runtime.Tests;

/// <summary>
/// The environment is process-wide and configured once, so this run gives it global thread pools: sessions with default
/// options share them (that path is exercised by every such test) while others opt out with per-session threads.
/// </summary>
[SetUpFixture]
public sealed class RuntimeTestSetup
{
    public static readonly OrtEnvironmentOptions EnvironmentOptions = new()
    {
        // Two pool threads match the CI machine; no spinning, so idle pools do not burn the cores other tests need.
        GlobalThreadPools = new GlobalThreadPoolOptions { IntraOpThreads = 2, InterOpThreads = 1, AllowSpinning = false },
    };

    [OneTimeSetUp]
    public void ConfigureEnvironment() => OrtEnvironment.Configure(EnvironmentOptions);
}
