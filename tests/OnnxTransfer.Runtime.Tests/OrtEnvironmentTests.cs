using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

public class OrtEnvironmentTests
{
    [Test]
    public void EnvironmentHasTheConfiguredGlobalThreadPoolsAndErrorLogging()
    {
        var environment = OrtEnvironment.Shared;
        Assert.That(environment.Options, Is.EqualTo(RuntimeTestSetup.EnvironmentOptions));
        Assert.That(environment.HasGlobalThreadPools, Is.True);
        Assert.That(new OrtEnvironmentOptions().LogLevel, Is.EqualTo(OrtLoggingLevel.Error));
    }

    [Test]
    public void ReconfiguringACreatedEnvironmentIsRefused()
    {
        _ = OrtEnvironment.Shared;
        var error = Assert.Throws<InvalidOperationException>(() =>
            OrtEnvironment.Configure(new OrtEnvironmentOptions { LogLevel = OrtLoggingLevel.Verbose }));
        Assert.That(error!.Message, Does.Contain("already created"));
        Assert.DoesNotThrow(() => OrtEnvironment.Configure(RuntimeTestSetup.EnvironmentOptions));
    }

    [Test]
    public void PerSessionThreadCountsAreRefusedWhenTheSessionSharesGlobalPools()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new InferenceSession(SharedData.MobileNetV2Int8Model, new SessionOptions { IntraOpThreads = 2 }));
        Assert.That(error!.Message, Does.Contain("global thread pools").And.Contain("UseGlobalThreadPools = false"));
    }
}
