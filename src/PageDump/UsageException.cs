namespace PageDump;

/// <summary>The command line names something that is not there (a directory, shard, checkpoint or page), or is self-contradictory: exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
