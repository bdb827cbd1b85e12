using OnnxTransfer.TestCaches;

namespace OnnxTransfer.Training.Tests;

/// <summary>Once per test run: removes the embedding cache the tests built.</summary>
[SetUpFixture]
public sealed class TestRunFixture
{
    [OneTimeTearDown]
    public void DeleteCaches() => HymenopteraCache.Delete();
}
