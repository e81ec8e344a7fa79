using System.Text.Json;

namespace PageDump.Tests.TestInfrastructure;

/// <summary>What one in-process run of pagedump produced.</summary>
public sealed record ToolResult(int Exit, string Out, string Err)
{
    public JsonElement Json => JsonDocument.Parse(Out).RootElement;

    /// <summary>True when nothing looks like a stack trace: people get sentences, not frames.</summary>
    public bool HasNoStackTrace => !Out.Contains("   at ", StringComparison.Ordinal) && !Err.Contains("   at ", StringComparison.Ordinal) &&
        !Err.Contains("Exception:", StringComparison.Ordinal);

    public override string ToString() => $"exit {Exit}\n--- stdout ---\n{Out}\n--- stderr ---\n{Err}";
}

/// <summary>Runs the tool in-process, capturing stdout and stderr.</summary>
public static class Tool
{
    public static ToolResult Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = PageDumpApp.Run(args, output, error);
        return new ToolResult(exit, output.ToString(), error.ToString());
    }
}
