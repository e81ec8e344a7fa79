namespace Snapshot.Tests.TestInfrastructure;

/// <summary>
/// Tests that install <c>FaultPoints.Hook</c> (a process-wide static) run in this collection,
/// alone, so the hook never fires inside another test's checkpointer.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultPointCollection
{
    public const string Name = "fault points";
}
