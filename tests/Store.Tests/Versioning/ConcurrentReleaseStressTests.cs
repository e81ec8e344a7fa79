using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using Store.Diagnostics;
using Store.Versioning;
using Xunit.Abstractions;

using static Store.Tests.TestInfrastructure.TestKeys;

namespace Store.Tests.Versioning;

/// <summary>
/// Model-based stress of the interleavings the other versioning tests leave out: several frozen
/// versions alive at once, released out of order by their owners on consumer threads while the
/// writer keeps writing and freezing. Each release shifts the registry's alive slots (and the
/// staged slot of the next shell) under a writer that is mid-copy-on-write or mid-barrier; idle
/// barriers (two freezes with no write between) take their shell from such a release; the cap is
/// reached and refused freezes keep their shell. About a third of the versions are streamed from
/// a confirmed base, so the writer skips copies behind the stream while other versions still need
/// them; each streamed page must equal its image read unstreamed on the writer thread right after
/// the freeze. The others are read key by key against the model at their barrier. FindFrozen must
/// return the very object for every version its owner has not released.
/// </summary>
public sealed class ConcurrentReleaseStressTests(ITestOutputHelper output)
{
    private const int Keys = 20_000;
    private static readonly TimeSpan RunTime = TimeSpan.FromSeconds(2);

    [Theory]
    [Trait("Category", "Stress")]
    [InlineData(7101, 2, 2)]
    [InlineData(7102, 3, 3)]
    [InlineData(7103, 4, 2)]
    [InlineData(7104, 16, 3)]
    public async Task VersionsReleasedOutOfOrderOnOtherThreadsStayExactWhileTheWriterWritesAndFreezes(int seed, int cap, int consumers)
    {
        output.WriteLine($"seed {seed}, MaxFrozenVersions {cap}, {consumers} consumers, {Keys} keys");
        using var run = new Run(seed, cap);
        Task[] readers = [.. Enumerable.Range(0, consumers).Select(i => Task.Factory.StartNew(
            () => run.Consume(new Random(seed * 31 + i)), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))];
        run.Write(Stopwatch.StartNew());
        await Task.WhenAll(readers);
        run.CheckFindFrozen(); // every version is released now: none is found
        run.Store.ReclaimReleasedPages();

        output.WriteLine(run.Summary());
        Assert.True(run.Mismatches.IsEmpty, $"{run.Mismatches.Count} mismatches:\n{string.Join("\n", run.Mismatches.Take(20))}");
        Assert.Equal(0, run.Store.FrozenVersionsAlive);
        int[] wrongKeys = [.. Enumerable.Range(0, Keys).Where(k => BinaryPrimitives.ReadInt64LittleEndian(run.Store.Get(Key(k))) != run.Model[k])];
        Assert.True(wrongKeys.Length == 0, $"the live store differs from the model at keys {string.Join(", ", wrongKeys.Take(20))}");
        Assert.Equal(0, run.Store.FrozenBytes);
        Assert.Equal((int)run.Store.Statistics.Pages, run.Store.Statistics.FramesInUse);

        Assert.True(run.Freezes >= 100, $"the run froze often enough to mean something ({run.Freezes})");
        Assert.True(run.IdleFreezes >= 1, "no idle barrier (two freezes with no write between)");
        Assert.True(run.Streamed >= 1 && run.KeyRead >= 1, "both kinds of consumer ran");
        Assert.True(run.OutOfOrder >= 1, "no version was released while an older one was still held");
        Assert.True(run.PeakAlive >= Math.Min(cap, 3), $"at most {run.PeakAlive} versions were alive at once");
        Assert.True(cap > 4 || run.Refused >= 1, "the cap was never reached");
    }

    /// <summary>A frozen version on its way to a consumer, with what it must read: page images for a stream, or a key sample.</summary>
    private sealed record Handed(FrozenVersion Version, Epoch Base, Dictionary<uint, byte[]>? Pages, (int Key, long Value)[]? Sample);

    private sealed class Run(int seed, int cap) : IDisposable
    {
        public readonly StateStore Store = Loaded(cap);
        public readonly long[] Model = [.. Enumerable.Range(0, Keys).Select(k => (long)k)];
        public readonly ConcurrentQueue<string> Mismatches = new();
        public int Freezes, IdleFreezes, Refused, RefusedByThrow, PeakAlive; // writer thread
        public int OutOfOrder, Streamed, KeyRead; // consumers, read after they are joined
        public long FindHits, StreamedPages;
        private readonly Random _random = new(seed);
        private readonly BlockingCollection<Handed> _queue = [];
        private readonly SortedSet<uint> _owned = []; // versions frozen and not yet released by their owner; under the lock
        private readonly List<FrozenVersion> _outstanding = []; // writer thread: versions not yet seen released
        private Handed? _held; // writer thread: a version held back, so that a newer one goes out first

        private static StateStore Loaded(int cap)
        {
            var store = StateStore.Open(new StoreOptions { MaxFrozenVersions = cap });
            for (long k = 0; k < Keys; k++)
            {
                store.Put(Key(k), Key(k)); // the value k, as 8 little-endian bytes
            }

            FrozenVersion first = store.Freeze(); // a confirmed base for the first streams
            store.ConfirmVersion(first.Version);
            first.Release();
            return store;
        }

        /// <summary>The writer: bursts of writes (sometimes none), freezes, hand-overs and FindFrozen checks, until the clock runs out.</summary>
        public void Write(Stopwatch clock)
        {
            try
            {
                while (clock.Elapsed < RunTime)
                {
                    int writes = _random.Next(4) switch { 0 => _random.Next(1, 16), 1 or 2 => _random.Next(16, 400), _ => _random.Next(400, 3_000) };
                    for (int i = 0; i < writes; i++)
                    {
                        int key = _random.Next(Keys);
                        Model[key] = _random.NextInt64();
                        Store.Put(Key(key), Key(Model[key]));
                    }

                    bool written = true;
                    for (int barrier = _random.Next(5) == 0 ? 2 : 1; barrier > 0; barrier--)
                    {
                        if (TryFreeze() is { } frozen)
                        {
                            IdleFreezes += written ? 0 : 1;
                            written = false;
                            HandOver(frozen);
                        }
                        else
                        {
                            HandOverHeld(); // the owners must release something before the writer can freeze again
                        }
                    }

                    PeakAlive = Math.Max(PeakAlive, Store.FrozenVersionsAlive);
                    Report(Store.FrozenVersionsAlive <= cap ? null : $"{Store.FrozenVersionsAlive} versions alive over a cap of {cap}");
                    CheckFindFrozen();
                }
            }
            finally
            {
                HandOverHeld();
                _queue.CompleteAdding(); // even if the writer failed: the consumers drain and release what is left
            }
        }

        /// <summary>A freeze, refused at the cap either way: TryFreeze's false, or Freeze's exception.</summary>
        private FrozenVersion? TryFreeze()
        {
            FrozenVersion? frozen = null;
            try
            {
                frozen = _random.Next(2) == 0 ? (Store.TryFreeze(out FrozenVersion? tried) ? tried : null) : Store.Freeze();
            }
            catch (FrozenVersionLimitException)
            {
                RefusedByThrow++;
            }

            Refused += frozen is null ? 1 : 0;
            return frozen;
        }

        /// <summary>Prepares what the consumer checks, on the writer thread right after the freeze, then hands the version over (or holds it back).</summary>
        private void HandOver(FrozenVersion frozen)
        {
            Freezes++;
            lock (_owned)
            {
                _owned.Add(frozen.Version.Value);
            }

            _outstanding.Add(frozen);
            Handed item;
            if (_random.Next(3) == 0)
            {
                Epoch baseVersion = _random.Next(8) == 0 ? Epoch.None : frozen.ConfirmedAtFreeze;
                var pages = new Dictionary<uint, byte[]>();
                foreach (DirtyPage dirty in frozen.DirtyPagesSince(baseVersion))
                {
                    byte[] image = new byte[frozen.PageSize];
                    frozen.CopyPage(dirty.Page, image);
                    pages.Add(dirty.Page.Value, image);
                }

                item = new Handed(frozen, baseVersion, pages, null);
            }
            else
            {
                item = new Handed(frozen, Epoch.None, null, [.. Enumerable.Range(0, _random.Next(64, 512)).Select(_ => _random.Next(Keys)).Select(k => (k, Model[k]))]);
            }

            if (_held is null && _random.Next(4) == 0)
            {
                _held = item;
                return;
            }

            _queue.Add(item);
            HandOverHeld(); // after the newer one
        }

        private void HandOverHeld()
        {
            if (_held is { } held)
            {
                _held = null;
                _queue.Add(held);
            }
        }

        /// <summary>Every version its owner has not released is found, as the same object; a version not found has been released.</summary>
        public void CheckFindFrozen()
        {
            for (int i = _outstanding.Count - 1; i >= 0; i--)
            {
                FrozenVersion version = _outstanding[i];
                FrozenVersion? found = Store.FindFrozen(version.Version);
                if (found is not null)
                {
                    Report(ReferenceEquals(found, version) ? null : $"FindFrozen({version.Version}) returned another object");
                    FindHits++;
                }
                else
                {
                    // Release marks the version before the registry drops it, so a miss must see the mark.
                    Report(version.IsReleased && !ReferenceEquals(version, _held?.Version) ? null : $"FindFrozen({version.Version}) missed a version its owner still holds");
                    _outstanding.RemoveAt(i);
                }
            }

            Report(Store.FindFrozen(Store.LiveVersion) is null ? null : $"FindFrozen found the live version {Store.LiveVersion}");
        }

        /// <summary>A consumer: streams or reads each version it takes, then releases it as its owner.</summary>
        public void Consume(Random random)
        {
            foreach (Handed item in _queue.GetConsumingEnumerable())
            {
                string name = item.Version.ToString();
                try
                {
                    Thread.Sleep(random.Next(8) == 0 ? 1 : 0); // now and then a slow checkpoint: versions pile up to the cap
                    if (item.Pages is not null)
                    {
                        Stream(item, name, random);
                    }
                    else
                    {
                        ReadKeys(item, name, random);
                    }
                }
                catch (Exception e)
                {
                    Mismatches.Enqueue($"{name}: {e.GetType().Name}: {e.Message}");
                }
                finally
                {
                    lock (_owned)
                    {
                        OutOfOrder += _owned.Min < item.Version.Version.Value ? 1 : 0;
                        _owned.Remove(item.Version.Version.Value);
                    }

                    item.Version.Release();
                }
            }
        }

        private void Stream(Handed item, string name, Random random)
        {
            FrozenVersion version = item.Version;
            byte[] image = new byte[version.PageSize];
            long previous = -1;
            int listed = 0;
            foreach (DirtyPage dirty in version.StreamDirtyPagesSince(item.Base))
            {
                uint page = dirty.Page.Value;
                version.CopyPage(dirty.Page, image);
                string? problem = page <= previous ? $"comes after page {previous}"
                    : !item.Pages!.TryGetValue(page, out byte[]? expected) ? $"is not listed by DirtyPagesSince({item.Base})"
                    : !expected.AsSpan().SequenceEqual(image) ? "differs from its image read unstreamed at the freeze" : null;
                Report(problem is null ? null : $"{name}: streamed page {page} {problem}");

                (previous, listed) = (page, listed + 1);
                if (random.Next(16) == 0)
                {
                    Thread.Yield(); // let the writer overwrite pages behind and ahead of the stream
                }
            }

            Report(listed == item.Pages!.Count ? null : $"{name}: the stream listed {listed} pages, DirtyPagesSince({item.Base}) {item.Pages.Count}");
            Store.ConfirmVersion(version.Version); // its checkpoint is durable: later streams list since it

            Interlocked.Increment(ref Streamed);
            Interlocked.Add(ref StreamedPages, listed);
        }

        private void ReadKeys(Handed item, string name, Random random)
        {
            Span<byte> value = stackalloc byte[8];
            foreach ((int key, long expected) in item.Sample!)
            {
                long? actual = random.Next(2) == 0
                    ? item.Version.TryGet(Key(key), value, out int length) && length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(value) : null
                    : item.Version.Get(Key(key)) is { Length: 8 } bytes ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : null;
                Report(actual == expected ? null : $"{name}: key {key} reads {actual?.ToString() ?? "nothing"}, the model held {expected} at the freeze");
            }

            Report(item.Version.Get(Key(Keys + random.Next(1_000))) is null ? null : $"{name}: a key never written reads a value");
            Interlocked.Increment(ref KeyRead);
        }

        /// <summary>Records a mismatch; callers build the message only when there is one.</summary>
        private void Report(string? mismatch)
        {
            if (mismatch is not null)
            {
                Mismatches.Enqueue(mismatch);
            }
        }

        public string Summary() =>
            $"{Freezes} freezes ({IdleFreezes} idle), {Refused} refused at the cap ({RefusedByThrow} by Freeze throwing), " +
            $"peak {PeakAlive} alive, {OutOfOrder} out-of-order releases, {Streamed} streamed ({StreamedPages} pages), " +
            $"{KeyRead} read by key, {FindHits} FindFrozen hits, {Store.Statistics}";

        public void Dispose()
        {
            _queue.Dispose();
            Store.Dispose();
        }
    }
}
