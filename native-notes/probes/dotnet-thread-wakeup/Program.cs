using System.Diagnostics;
var sem = new SemaphoreSlim(0);
long consumed = 0;
_ = Task.Run(async () => { while (true) { await sem.WaitAsync(); Interlocked.Increment(ref consumed); } });
var mres = new ManualResetEventSlim(false);
var t = new Thread(() => { while (true) { mres.Wait(); mres.Reset(); Interlocked.Increment(ref consumed); } }) { IsBackground = true };
t.Start();
foreach (string mode in new[] { "semaphore", "mres", "none" })
{
    var samples = new List<double>();
    for (int i = 0; i < 2000; i++)
    {
        Thread.Sleep(2); // the consumer is parked, as between checkpoints
        long s = Stopwatch.GetTimestamp();
        if (mode == "semaphore") sem.Release(); else if (mode == "mres") mres.Set();
        samples.Add(Stopwatch.GetElapsedTime(s).TotalMicroseconds);
    }
    samples.Sort();
    Console.WriteLine($"{mode}: p50 {samples[1000]:F2} us p99 {samples[1980]:F2} us max {samples[^1]:F2} us");
}
