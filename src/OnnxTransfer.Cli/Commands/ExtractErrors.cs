using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// The refusals of OnnxTransfer.Features (bad spec, bad inputs, foreign cache) as one-line CLI errors, for the
/// backbone, extract and cache commands.
/// </summary>
internal static class ExtractErrors
{
    public static int Translate(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (BackboneSpecException e) { throw new CliException(e.Message); }
        catch (InputSourceException e) { throw new CliException(e.Message); }
        catch (CacheException e) { throw new CliException(e.Message); }
    }
}
