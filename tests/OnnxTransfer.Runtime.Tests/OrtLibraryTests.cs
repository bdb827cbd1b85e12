using System.Diagnostics;
using System.Text.Json;
using OnnxTransfer.Runtime.Native;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

public class OrtLibraryTests
{
    [Test]
    public void SharedLibraryReportsPathVersionAndApi()
    {
        var library = OrtLibrary.Shared;
        TestContext.Out.WriteLine($"{library.LoadedPath} ({library.Source}) ORT {library.Version}, C API {library.ApiVersion}\n{library.BuildInfo}");

        Assert.That(File.Exists(library.LoadedPath), library.LoadedPath);
        // The version the library reports must be the release the npm oracle package (same binary) was published as.
        var npmPackage = Path.Combine(RepositoryPaths.NodeOracles, "node_modules", "onnxruntime-node", "package.json");
        using var package = JsonDocument.Parse(File.ReadAllText(npmPackage));
        Assert.That(library.Version, Is.EqualTo(package.RootElement.GetProperty("version").GetString()));
        Assert.That(library.ApiVersion, Is.EqualTo(30u));
    }

    [Test]
    public unsafe void TableIndicesHoldTheFunctionsTheirNamesSay()
    {
        var library = OrtLibrary.Shared;
        var api = library.Api;

        // Entries 0-2 and 93: a status made by CreateStatus reads back through GetErrorCode/GetErrorMessage.
        fixed (byte* message = "index check"u8.ToArray().Append((byte)0).ToArray())
        {
            var status = api.CreateStatus((int)OrtErrorCode.NotImplemented, message);
            Assert.That(status, Is.Not.EqualTo(0));
            var error = OrtStatus.ToException(api, status); // also releases it (entry 93)
            Assert.That(error.ErrorCode, Is.EqualTo(OrtErrorCode.NotImplemented));
            Assert.That(error.NativeMessage, Is.EqualTo("index check"));
        }

        // Entry 254 returns a string that starts the way ORT's build info does.
        Assert.That(library.BuildInfo, Does.StartWith("ORT Build Info"));

        // Entries 125/126: providers, CPU always among them.
        Assert.That(library.AvailableProviders, Does.Contain("CPUExecutionProvider"));
    }

    [Test]
    public void MissingLibraryAtExplicitPathListsWhatWasTriedAndTheFix()
    {
        var bogus = Path.Combine(Path.GetTempPath(), "no-such-dir", "libonnxruntime.so.1");
        var error = Assert.Throws<OrtLibraryNotFoundException>(() => OrtLibrary.LoadFrom(bogus));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.Attempts, Has.Count.EqualTo(1));
        Assert.That(error.Attempts[0].Path, Is.EqualTo(bogus));
        Assert.That(error.Message, Does.Contain(bogus).And.Contain("no such file"));
        Assert.That(error.Message, Does.Contain("tools/setup.sh").And.Contain(OrtLibrary.LibraryPathVariable));
        // The process-wide library is untouched by a failed probe.
        Assert.That(OrtLibrary.Shared.LoadedPath, Is.Not.EqualTo(bogus));
    }

    [Test]
    public void LibraryThatIsNotOnnxRuntimeIsRefused()
    {
        var libm = new[] { "/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib64/libm.so.6" }.FirstOrDefault(File.Exists);
        if (libm is null) Assert.Ignore("no libm.so.6 at a known path on this machine");
        var error = Assert.Throws<OrtLibraryNotFoundException>(() => OrtLibrary.LoadFrom(libm!));
        Assert.That(error!.Message, Does.Contain("not ONNX Runtime").And.Contain("OrtGetApiBase"));
    }

    [Test]
    public void LibraryWithAnOlderApiIsRefusedWithItsVersion()
    {
        // A stand-in "ONNX Runtime 1.16.3" whose GetApi hands out tables up to version 16 only.
        using var temp = new TempDirectory();
        var source = temp.File("old_ort.c");
        var library = temp.File("libonnxruntime.so.1");
        File.WriteAllText(source, """
            #include <stddef.h>
            #include <stdint.h>
            static int table[1];
            static const void* get_api(uint32_t v) { return v <= 16 ? (const void*)table : NULL; }
            static const char* version(void) { return "1.16.3"; }
            static const struct { const void* (*get_api)(uint32_t); const char* (*version)(void); } base = { get_api, version };
            const void* OrtGetApiBase(void) { return &base; }
            """);
        try
        {
            using var gcc = Process.Start(new ProcessStartInfo("gcc", ["-shared", "-fPIC", "-o", library, source]) { RedirectStandardError = true })!;
            gcc.WaitForExit();
            if (gcc.ExitCode != 0) Assert.Ignore("gcc could not build the stand-in library: " + gcc.StandardError.ReadToEnd());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Ignore("gcc is not installed; the old-API path needs a stand-in library");
        }

        var error = Assert.Throws<OrtLibraryVersionException>(() => OrtLibrary.LoadFrom(library));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.Message, Does.Contain("1.16.3").And.Contain("version 16").And.Contain("version 30"));
        Assert.That(error.Attempts.Single().LoadedButTooOld, Is.True);
    }

    [Test]
    public void CandidatesFollowTheDocumentedOrder()
    {
        var previous = Environment.GetEnvironmentVariable(OrtLibrary.LibraryPathVariable);
        try
        {
            Environment.SetEnvironmentVariable(OrtLibrary.LibraryPathVariable, "/opt/ort-gpu/lib/libonnxruntime.so.1");
            var candidates = OrtLibrary.Candidates();
            var sources = candidates.Select(c => c.Source).ToList();
            var expectedOrder = new[]
            {
                OrtLibrarySource.EnvironmentVariable, OrtLibrarySource.ApplicationDirectory,
                OrtLibrarySource.OnnxTransferHome, OrtLibrarySource.SystemLoader,
            };
            Assert.That(sources.Where(s => s != OrtLibrarySource.ExplicitPath), Is.EqualTo(expectedOrder));
            Assert.That(candidates.Single(c => c.Source == OrtLibrarySource.EnvironmentVariable).Path, Is.EqualTo("/opt/ort-gpu/lib/libonnxruntime.so.1"));
            Assert.That(candidates.Single(c => c.Source == OrtLibrarySource.OnnxTransferHome).Path,
                Is.EqualTo(Path.Combine(OrtLibrary.HomeDirectory, "onnxruntime", "1.30.0", "libonnxruntime.so.1")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(OrtLibrary.LibraryPathVariable, previous);
        }
    }

    [Test]
    public void UsePathAfterLoadingAnotherLibraryIsRefused()
    {
        _ = OrtLibrary.Shared;
        var error = Assert.Throws<InvalidOperationException>(() => OrtLibrary.UsePath("/somewhere/else/libonnxruntime.so.1"));
        Assert.That(error!.Message, Does.Contain("already loaded").And.Contain("before the first use"));
        Assert.DoesNotThrow(() => OrtLibrary.UsePath(OrtLibrary.Shared.LoadedPath));
    }
}
