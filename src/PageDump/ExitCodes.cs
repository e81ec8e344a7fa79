namespace PageDump;

/// <summary>pagedump's exit codes, the same for every verb.</summary>
public static class ExitCodes
{
    /// <summary>Done; nothing read was damaged.</summary>
    public const int Clean = 0;

    /// <summary>Any other failure: I/O errors, a newer checkpoint format, a bug.</summary>
    public const int Failure = 1;

    /// <summary>Usage: bad arguments, a directory without checkpoints, an unknown shard, checkpoint or page.</summary>
    public const int Usage = 2;

    /// <summary>Corruption was found (verify), or met while reading (the other verbs still print what they could).</summary>
    public const int Corruption = 3;
}
