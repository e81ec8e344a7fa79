using System.CommandLine;

namespace PageDump.Verbs;

/// <summary>The arguments and options several verbs share, spelled once.</summary>
internal static class Common
{
    public static Argument<string> Directory() => new("DIR") { Description = "The checkpoint directory (CheckpointOptions.Directory)." };

    public static Argument<string> Checkpoint(string name = "ID", string description = "A checkpoint id, or 'latest' for the newest confirmed one.") =>
        new(name) { Description = description };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON for scripts (field names are stable; see the README) instead of tables." };

    public static Option<string?> Shard(string description = "The shard to read; needed when the directory holds several.") =>
        new("--shard") { Description = description, HelpName = "S" };
}
