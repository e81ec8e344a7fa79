using System.CommandLine;
using System.CommandLine.Invocation;
using PageDump.Verbs;
using Snapshot;
using Snapshot.Format;
using Store.Diagnostics;

namespace PageDump;

/// <summary>
/// pagedump's entry point: parses the command line, runs one verb and returns its exit code
/// (<see cref="ExitCodes"/>). Everything goes to the writers it is given, so tests and other hosts
/// run it in-process exactly as the tool does.
/// </summary>
public static class PageDumpApp
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var session = new Session(output, error, terminal);
        RootCommand root = Build(session);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction or null)
        {
            foreach (System.CommandLine.Parsing.ParseError parseError in parse.Errors)
            {
                error.WriteLine($"pagedump: {parseError.Message}");
            }

            string verb = parse.CommandResult.Command is RootCommand ? "" : parse.CommandResult.Command.Name + " ";
            error.WriteLine($"Run 'pagedump {verb}--help' for usage.");
            return ExitCodes.Usage;
        }

        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    private static RootCommand Build(Session session)
    {
        var root = new RootCommand(
            "Inspects Store checkpoint directories. Exit codes: 0 clean, 1 other failure, 2 usage error, 3 corruption found.")
        {
            ListVerb.Create(session),
            ManifestVerb.Create(session),
            PagesVerb.Create(session),
            PageVerb.Create(session),
            VerifyVerb.Create(session),
            DiffVerb.Create(session),
            HeatmapVerb.Create(session),
        };
        return root;
    }

    /// <summary>Runs a verb, turning every failure into one sentence on stderr and its exit code; never a stack trace (set PAGEDUMP_DEBUG=1 for one).</summary>
    internal static int Guard(Session session, ParseResult parse, Option<bool> json, Action action)
    {
        session.Json = parse.GetValue(json);
        try
        {
            action();
            return session.ExitCode;
        }
        catch (UsageException e)
        {
            session.Err.WriteLine($"pagedump: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (CheckpointNotFoundException e)
        {
            session.Err.WriteLine($"pagedump: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (UnsupportedFormatException e)
        {
            session.Err.WriteLine(
                $"pagedump: '{e.File}' was written in checkpoint format version {e.FoundVersion}, but this pagedump reads version {e.SupportedVersion}: use a newer pagedump.");
            return ExitCodes.Failure;
        }
        catch (StoreCorruptedException e)
        {
            session.Corruption(e);
            return ExitCodes.Corruption;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            session.Err.WriteLine($"pagedump: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            session.Err.WriteLine($"pagedump: failed ({e.GetType().Name}): {e.Message}");
            if (Environment.GetEnvironmentVariable("PAGEDUMP_DEBUG") is "1")
            {
                session.Err.WriteLine(e.ToString());
            }

            return ExitCodes.Failure;
        }
    }
}
