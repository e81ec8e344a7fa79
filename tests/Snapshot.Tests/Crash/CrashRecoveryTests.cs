using System.Diagnostics;
using System.Globalization;
using Snapshot.Catalog;
using Snapshot.CrashWorkload;
using Snapshot.Diagnostics;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;
using Store.Diagnostics;
using Xunit.Abstractions;

namespace Snapshot.Tests.Crash;

/// <summary>
/// Crash tests: tests/Snapshot.CrashWorkload runs a checkpointing workload (CrashPlan) in a child
/// process that dies by SIGKILL, either at the n-th hit of a named fault point (it kills itself) or
/// at a random instant (the test kills it). After each kill the newest confirmed checkpoint must be
/// at least the last one whose Confirm returned in the child, and every checkpoint left in the
/// catalog must restore to the model at its barrier, which the test recomputes from the plan.
/// </summary>
/// <remarks>
/// Every case prints its seed and the child's command line, so a failure reruns by hand. The base
/// seed is fixed; SNAPSHOT_CRASH_SEED overrides it to explore other cases.
/// </remarks>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    /// <summary>
    /// Hits of each fault point in roughly the workload's first 30 intervals (measured: 40 intervals
    /// hit data-records ≈ 350, data-written and data-synced ≈ 35, the catalog points ≈ 56 and
    /// retention-delete ≈ 32 times). Occurrences are drawn below these, so kills land across the first
    /// 30 checkpoints; the child runs until it is killed, so a larger occurrence only takes longer.
    /// </summary>
    private static readonly Dictionary<string, int> OccurrenceRange = new()
    {
        [FaultPoints.DataRecords] = 250,
        [FaultPoints.DataWritten] = 26,
        [FaultPoints.DataSynced] = 26,
        [FaultPoints.CatalogSlotHalf] = 42,
        [FaultPoints.CatalogCommitted] = 42,
        [FaultPoints.RetentionDelete] = 24,
    };

    private static readonly string[] AllFaultPoints = [.. OccurrenceRange.Keys];

    /// <summary>Random kills land this long after the child printed "ready" (at about 25 ms per interval: within its first 30 checkpoints).</summary>
    private static readonly TimeSpan MaxRandomDelay = TimeSpan.FromMilliseconds(750);

    [Fact]
    [Trait("Category", "Crash")]
    public void AKillDuringTheDataFileWriteLosesNoConfirmedCheckpoint() => RunKills(
        test: 1,
        FaultCases(1, (FaultPoints.DataRecords, 3), (FaultPoints.DataWritten, 3), (FaultPoints.DataSynced, 3)));

    [Fact]
    [Trait("Category", "Crash")]
    public void AKillDuringTheCatalogWriteLosesNoConfirmedCheckpoint() => RunKills(
        test: 2,
        FaultCases(2, (FaultPoints.CatalogSlotHalf, 3), (FaultPoints.CatalogCommitted, 3)));

    [Fact]
    [Trait("Category", "Crash")]
    public void AKillDuringRetentionDeletesLosesNoConfirmedCheckpointAndTheLeftoversAreSwept() => RunKills(
        test: 3,
        FaultCases(3, (FaultPoints.RetentionDelete, 3)));

    [Fact]
    [Trait("Category", "Crash")]
    public void AKillAtARandomInstantLosesNoConfirmedCheckpoint() => RunKills(
        test: 4,
        RandomCases(4, count: 8));

    /// <summary>
    /// The first hit of each point: the kill lands in the very first data file, the very first catalog
    /// commit (its other slot has never been written), the first confirmation, the first retention delete.
    /// </summary>
    [Fact]
    [Trait("Category", "Crash")]
    public void AKillAtTheFirstHitOfEveryFaultPointLeavesAShardThatReopens() => RunKills(
        test: 8,
        [.. AllFaultPoints.Select((point, i) => new CrashCase(CaseSeed(8, i), point, Occurrence: 1, Delay: null))]);

    [Fact]
    [Trait("Category", "Crash")]
    public void AWorkloadThatRunsToItsEndHitsEveryFaultPointAndRestoresItsLastConfirmedCheckpoint()
    {
        long seed = CaseSeed(5, 0);
        using var dir = new TempDirectory("snapshot-crash");
        string[] arguments = [dir.Path, seed.ToString(CultureInfo.InvariantCulture), "--intervals", "30"];
        output.WriteLine($"seed {seed}: {WorkloadProcess.CommandLine(arguments)}");
        WorkloadRun run = WorkloadProcess.RunToExit(arguments);
        Assert.True(run.ExitCode == 0 && run.Printed("done"), $"the workload failed (exit code {run.ExitCode}):\n{run.Errors}");
        string hitsLine = run.Lines.Single(l => l.StartsWith("hits ", StringComparison.Ordinal));
        output.WriteLine(hitsLine);
        Dictionary<string, int> hits = hitsLine["hits ".Length..].Split(' ')
            .Select(pair => pair.Split('='))
            .ToDictionary(pair => pair[0], pair => int.Parse(pair[1], CultureInfo.InvariantCulture));
        foreach (string point in AllFaultPoints)
        {
            Assert.True(hits.GetValueOrDefault(point) > 0, $"30 intervals of the workload never reach fault point {point}: {hitsLine}");
        }

        Assert.True(run.LastConfirmed > 0, "the workload confirmed checkpoints");
        output.WriteLine(Verify(new CrashPlan(seed), run, dir.Path));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void ManyKillsAtEveryFaultPointAndAtRandomInstantsLoseNoConfirmedCheckpoint() => RunKills(
        test: 6,
        [
            .. FaultCases(6, [.. AllFaultPoints.Select(point => (point, 10))]),
            .. RandomCases(7, count: 40),
        ]);

    private static long BaseSeed =>
        long.TryParse(Environment.GetEnvironmentVariable("SNAPSHOT_CRASH_SEED"), CultureInfo.InvariantCulture, out long seed) ? seed : 20_261_123;

    private static long CaseSeed(int test, int index) => BaseSeed * 1_000_000 + test * 1_000 + index;

    /// <summary>For each fault point, <c>count</c> kills at occurrences spread over its range (one draw per equal slice).</summary>
    private static List<CrashCase> FaultCases(int test, params (string Point, int Count)[] points)
    {
        var random = new Random((int)(CaseSeed(test, 999) % int.MaxValue));
        var cases = new List<CrashCase>();
        foreach ((string point, int count) in points)
        {
            int range = OccurrenceRange[point];
            for (int i = 0; i < count; i++)
            {
                int low = 1 + i * range / count;
                int high = Math.Max(low, (i + 1) * range / count);
                cases.Add(new CrashCase(CaseSeed(test, cases.Count), point, random.Next(low, high + 1), Delay: null));
            }
        }

        return cases;
    }

    private static List<CrashCase> RandomCases(int test, int count)
    {
        var random = new Random((int)(CaseSeed(test, 999) % int.MaxValue));
        return
        [
            .. Enumerable.Range(0, count).Select(i => new CrashCase(
                CaseSeed(test, i), FaultPoint: null, Occurrence: 0, TimeSpan.FromMilliseconds(random.Next((int)MaxRandomDelay.TotalMilliseconds)))),
        ];
    }

    private void RunKills(int test, List<CrashCase> cases)
    {
        output.WriteLine($"base seed {BaseSeed} (SNAPSHOT_CRASH_SEED overrides), test {test}: {cases.Count} kill points");
        Stopwatch total = Stopwatch.StartNew();
        var killedAt = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (CrashCase crash in cases)
        {
            // Every case runs even after one fails, so a report lists all the kill points that lose something.
            try
            {
                string killedBy = RunKill(crash);
                killedAt[killedBy] = killedAt.GetValueOrDefault(killedBy) + 1;
            }
            catch (Exception e)
            {
                string where = crash.FaultPoint is null ? $"{crash.Delay!.Value.TotalMilliseconds} ms after ready" : $"hit {crash.Occurrence} of {crash.FaultPoint}";
                failures.Add($"seed {crash.Seed}, kill at {where}: {e.GetType().Name}: {e.Message}");
                output.WriteLine($"  FAILED: {e}");
            }
        }

        output.WriteLine($"{cases.Count} kill points ({string.Join(", ", killedAt.Select(p => $"{p.Key} × {p.Value}"))}) in {total.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} kill points failed:\n{string.Join("\n", failures)}");
    }

    /// <summary>Runs one kill case and verifies the directory it left; returns what killed the child.</summary>
    private string RunKill(CrashCase crash)
    {
        using var dir = new TempDirectory("snapshot-crash");
        List<string> arguments = [dir.Path, crash.Seed.ToString(CultureInfo.InvariantCulture)];
        if (crash.FaultPoint is { } point)
        {
            arguments.AddRange([point, crash.Occurrence.ToString(CultureInfo.InvariantCulture)]);
        }

        string where = crash.FaultPoint is null ? $"{crash.Delay!.Value.TotalMilliseconds} ms after ready" : $"hit {crash.Occurrence} of {crash.FaultPoint}";
        output.WriteLine($"seed {crash.Seed}, kill at {where}: {WorkloadProcess.CommandLine(arguments)}");
        WorkloadRun run;
        if (crash.FaultPoint is null)
        {
            run = WorkloadProcess.RunAndKill(arguments, crash.Delay!.Value);
            Assert.True(run.KilledByTest, $"the workload exited (code {run.ExitCode}) before the kill:\n{run.Errors}");
        }
        else
        {
            run = WorkloadProcess.RunToExit(arguments);
            Assert.True(run.Printed($"fault {crash.FaultPoint} {crash.Occurrence}"),
                $"the workload exited (code {run.ExitCode}) without reaching hit {crash.Occurrence} of {crash.FaultPoint}:\n{run.Errors}");
            Assert.NotEqual(0, run.ExitCode);
        }

        Assert.True(run.Errors.Length == 0, $"the workload wrote to stderr before the kill:\n{run.Errors}");
        Assert.True(run.Printed("ready"), "the workload opened its checkpointer before the kill");
        output.WriteLine("  " + Verify(new CrashPlan(crash.Seed), run, dir.Path));
        return crash.FaultPoint ?? "random instant";
    }

    /// <summary>
    /// After the child is gone: the newest confirmed checkpoint is at least the last one it reported
    /// confirmed; every checkpoint in the catalog restores to the model at its barrier; reopening
    /// restores the newest confirmed one and leaves exactly the catalog's files; and the reopened
    /// shard checkpoints on from there.
    /// </summary>
    /// <remarks>
    /// At most one catalog slot may read as damaged: the one a kill tore between its two halves. (A
    /// kill at catalog-slot-half does not always tear it: when the unwritten half already held the
    /// same bytes, from the revision before last, the slot reads as the complete new revision.)
    /// </remarks>
    private static string Verify(CrashPlan plan, WorkloadRun run, string directory)
    {
        var files = new ShardFiles(directory, CrashPlan.Shard);
        Assert.True(File.Exists(files.CatalogPath), "the shard's catalog exists once the checkpointer has opened");
        CatalogReadResult read;
        try
        {
            read = CatalogReader.Read(files);
        }
        catch (StoreCorruptedException e)
        {
            Assert.Fail($"after the kill the shard's catalog cannot be read, so no checkpoint can be restored and the shard cannot be reopened: {e.Message}");
            throw;
        }

        Assert.True(read.DamagedSlots.Count <= 1,
            $"{read.DamagedSlots.Count} damaged catalog slot(s) after the kill: {string.Join("; ", read.DamagedSlots.Select(d => d.Message))}");
        ShardCatalog catalog = read.Catalog;
        CheckpointEntry? newest = catalog.NewestConfirmed;
        long lastConfirmed = run.LastConfirmed;
        Assert.True(newest is not null || lastConfirmed == 0,
            $"checkpoint {lastConfirmed} was reported confirmed, but the catalog holds no confirmed checkpoint ({Describe(catalog)})");
        if (newest is not null)
        {
            Assert.True(newest.Id.Value >= lastConfirmed,
                $"checkpoint {lastConfirmed} was reported confirmed, but the newest confirmed one in the catalog is {newest.Id.Value} ({Describe(catalog)})");
            Assert.True(plan.ConfirmedUpTo(new CheckpointId(run.LastBarrier)).Contains(newest.Id),
                $"checkpoint {newest.Id.Value} is confirmed in the catalog, but the workload never confirmed it");
        }

        // Every checkpoint the crash left, confirmed or only written, holds exactly its barrier's state.
        foreach (CheckpointEntry entry in catalog.Checkpoints)
        {
            Assert.True(entry.Id.Value <= run.LastBarrier + 1, $"checkpoint {entry.Id.Value} is in the catalog, but its barrier was never reached");
            using StateStore restored = CheckpointRestorer.Restore(files, catalog, entry, CrashPlan.StoreOptions);
            AssertMatchesModel(plan.ModelAt(entry.Id), restored, $"checkpoint {entry.Id.Value} ({entry.Kind}, chain of {entry.Chain.Length}, {(entry.Confirmed ? "confirmed" : "unconfirmed")})");
        }

        if (newest is not null)
        {
            using StateStore restored = CheckpointRestorer.Restore(files, CrashPlan.StoreOptions);
            AssertMatchesModel(plan.ModelAt(newest.Id), restored, $"the newest confirmed checkpoint, {newest.Id.Value}");
        }

        int leftovers = files.DataFilesOnDisk().Count(id => catalog.File(id) is null);
        string summary = $"confirmed {lastConfirmed} reported, {(newest is null ? "no confirmed checkpoint" : $"newest confirmed {newest.Id.Value}")}; " +
            $"catalog holds {Describe(catalog)}; {read.DamagedSlots.Count} torn catalog slot(s); {leftovers} leftover data file(s)";
        return summary + "; " + ReopenAndContinue(plan, newest, directory);
    }

    private static string ReopenAndContinue(CrashPlan plan, CheckpointEntry? newest, string directory)
    {
        CheckpointOptions options = CrashPlan.CheckpointOptions(directory);
        var files = new ShardFiles(directory, CrashPlan.Shard);
        if (newest is null)
        {
            using StateStore fresh = StateStore.Open(CrashPlan.StoreOptions);
            using Checkpointer opened = Checkpointer.Open(fresh, options);
            AssertOnlyReferencedFiles(files, opened.Catalog);
            return "reopened empty, leftovers swept";
        }

        Dictionary<long, long> model = plan.ModelAt(newest.Id);
        CheckpointId next;
        CheckpointResult result;
        RestoredCheckpoint reopened = Checkpointer.Restore(options, CrashPlan.StoreOptions);
        using (reopened.Store)
        using (reopened.Checkpointer)
        {
            Assert.Equal(newest.Id, reopened.Id);
            AssertMatchesModel(model, reopened.Store, $"checkpoint {newest.Id.Value} restored by Checkpointer.Restore");
            AssertOnlyReferencedFiles(files, reopened.Checkpointer.Catalog);

            // The restored store checkpoints on: a delta of the restored checkpoint (or a full one when its chain is at the limit).
            var random = new Random((int)(plan.Seed % int.MaxValue));
            for (int i = 0; i < 300; i++)
            {
                long key = random.Next(CrashPlan.KeySpace);
                long index = 1_000_000_000L + i;
                if (random.Next(5) == 0)
                {
                    reopened.Store.Delete(CrashPlan.Key(key));
                    model.Remove(key);
                }
                else
                {
                    reopened.Store.Put(CrashPlan.Key(key), CrashPlan.Value(key, index));
                    model[key] = index;
                }
            }

            next = new CheckpointId(reopened.Checkpointer.Catalog.Checkpoints[^1].Id.Value + 1);
            result = reopened.Checkpointer.Barrier(next).GetAwaiter().GetResult();
            reopened.Checkpointer.Confirm(next);
        }

        using (StateStore again = CheckpointRestorer.Restore(files, CrashPlan.StoreOptions))
        {
            AssertMatchesModel(model, again, $"checkpoint {next.Value}, taken after the restore");
        }

        return $"reopened at {newest.Id.Value}, leftovers swept, continued with {result.Kind} checkpoint {next.Value} (chain of {result.ChainLength})";
    }

    /// <summary>
    /// The catalog's data files are all on disk with their committed lengths, and nothing else is,
    /// except the one empty file an open checkpointer pre-creates for its next checkpoint (its id is
    /// at least the catalog's NextFileId).
    /// </summary>
    private static void AssertOnlyReferencedFiles(ShardFiles files, ShardCatalog catalog)
    {
        var onDisk = files.DataFilesOnDisk().ToHashSet();
        foreach (DataFileEntry file in catalog.Files)
        {
            Assert.True(onDisk.Contains(file.Id), $"{file.Id}, which the catalog references, is missing");
            Assert.Equal(file.Length, new FileInfo(files.DataPath(file.Id)).Length);
        }

        List<DataFileId> extra = [.. onDisk.Where(id => catalog.File(id) is null)];
        Assert.True(
            extra.Count == 0 || (extra.Count == 1 && extra[0].Value >= catalog.NextFileId && new FileInfo(files.DataPath(extra[0])).Length == 0),
            $"data files the catalog does not reference survived the reopen: {string.Join(", ", extra)} (catalog's next file id {catalog.NextFileId}, holds {Describe(catalog)})");
    }

    private static void AssertMatchesModel(Dictionary<long, long> model, StateStore store, string context)
    {
        Assert.True(model.Count == store.Count, $"{context}: the store holds {store.Count} entries, the model {model.Count}");
        for (long key = 0; key < CrashPlan.KeySpace; key++)
        {
            byte[]? actual = store.Get(CrashPlan.Key(key));
            if (!model.TryGetValue(key, out long index))
            {
                Assert.True(actual is null, $"{context}: key {key} is present, but the model deleted it (or never wrote it)");
                continue;
            }

            Assert.True(actual is not null, $"{context}: key {key} is missing; the model has the value of operation {index}");
            Assert.True(CrashPlan.Value(key, index).AsSpan().SequenceEqual(actual),
                $"{context}: key {key} holds the value of operation {(actual.Length >= 8 ? BitConverter.ToInt64(actual) : -1)}, the model that of operation {index}");
        }
    }

    private static string Describe(ShardCatalog catalog) => catalog.Checkpoints.IsEmpty
        ? "no checkpoints"
        : string.Join(", ", catalog.Checkpoints.Select(c => $"{c.Id.Value}{(c.Confirmed ? "" : "?")}{(c.Kind == CheckpointKind.Full ? "F" : "")}"));

    /// <param name="FaultPoint">The child kills itself at hit <paramref name="Occurrence"/> of it; null: the test kills it after <paramref name="Delay"/>.</param>
    private sealed record CrashCase(long Seed, string? FaultPoint, int Occurrence, TimeSpan? Delay);
}
